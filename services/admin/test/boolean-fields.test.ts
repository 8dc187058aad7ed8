/**
 * A boolean field takes true or false. AdminJS converts a boolean field's text with Boolean(text), so
 * "maybe", "0" or "no" were stored as true (a product published by a typo in an API client's form);
 * they are refused with 400 and change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Product } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

interface ActionBody {
  record?: { params: Record<string, unknown> };
  notice?: { type: string };
}

describe(`a boolean field takes true or false (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
  });
  after(() => fixture.close());

  const published = async (id: number) =>
    (await fixture.db.orm.em.fork().findOneOrFail(Product, id)).published;

  async function edit(id: number, value: string) {
    const url = `/admin/api/resources/Product/records/${id}/edit`;
    const shown = await root.api<ActionBody>(`/resources/Product/records/${id}/edit`);
    return root.request(url, {
      form: { published: value, updatedAt: String(shown.body.record?.params.updatedAt) },
    });
  }

  it('refuses anything else on edit and on create, and stores nothing', async () => {
    const id = fixture.ids.products[0]!;
    const before = await published(id);
    for (const value of ['maybe', '0', '1', 'no', 'TRUE', ' true']) {
      const response = await edit(id, value);
      assert.equal(response.status, 400, value);
      const body = (await response.json()) as { error: string; message: string };
      assert.equal(body.error, 'invalid_field', value);
      assert.match(body.message, /"published" must be true or false/, value);
      assert.equal(await published(id), before, value);
    }
    const created = await root.request('/admin/api/resources/Product/actions/new', {
      form: { sku: 'BOOL-1', name: 'Bool', priceCents: '100', currency: 'EUR', published: 'maybe' },
    });
    assert.equal(created.status, 400);
    assert.equal(await fixture.db.orm.em.fork().count(Product, { sku: 'BOOL-1' }), 0);
  });

  it('takes true, false, and empty (false), as the checkbox sends them', async () => {
    const id = fixture.ids.products[1]!;
    for (const [value, stored] of [
      ['true', true],
      ['false', false],
      ['true', true],
      ['', false],
    ] as const) {
      const response = await edit(id, value);
      assert.equal(response.status, 200, value);
      assert.equal(await published(id), stored, JSON.stringify(value));
    }
  });
});
