/**
 * A value another record already holds in a unique column is refused next to that field, named from
 * what the database reports (the column), never from the SQL it quotes: the values a staff member
 * typed (a name such as "x.sku_name_") must not move the error to another field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Product } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

interface ActionBody {
  record?: { errors?: Record<string, { type: string; message: string }> };
  notice?: { type: string; message: string };
}

describe(`a duplicate unique value is refused next to its field (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
  });
  after(() => fixture.close());

  it("a product's sku, whatever the other fields hold", async () => {
    const { body } = await root.api<ActionBody>('/resources/Product/actions/new', {
      form: {
        sku: 'SPADE-1',
        name: 'x.name_sku_ .category_name_',
        priceCents: '100',
        currency: 'EUR',
        category: String(fixture.ids.categories[0]),
      },
    });
    assert.equal(body.notice?.type, 'error', JSON.stringify(body));
    assert.deepEqual(Object.keys(body.record?.errors ?? {}), ['sku']);
    assert.equal(body.record?.errors?.sku?.type, 'unique');
    assert.equal(body.record?.errors?.sku?.message, 'A product with this sku already exists.');
    assert.equal(await fixture.db.orm.em.fork().count(Product, { sku: 'SPADE-1' }), 1);
  });

  it("a category's slug", async () => {
    const { body } = await root.api<ActionBody>('/resources/Category/actions/new', {
      form: { name: 'Garden tools again', slug: 'garden-tools' },
    });
    assert.deepEqual(Object.keys(body.record?.errors ?? {}), ['slug']);
    assert.equal(body.record?.errors?.slug?.type, 'unique');
  });
});
