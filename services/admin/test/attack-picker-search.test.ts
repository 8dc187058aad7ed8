/**
 * Issue 16 item 5: a staff member who may change (or add) products but not view categories may search
 * categories from the product form's category picker, and nothing more. Attacks sent straight to the
 * API: every other category action stays 403, the picker's answer holds names only, and the list's
 * filters cannot be slipped into the search to probe other fields.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Category } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { staffWith } from './staff-support.js';
import { startFixture, type Client, type Fixture } from './support.js';

interface SearchAnswer {
  records?: Array<{ id: string; title: string; params: Record<string, unknown>; recordActions: unknown[] }>;
}

describe(`attack: the category picker opens nothing else (${testDialect()})`, () => {
  let fixture: Fixture;
  let changer: Client;
  let adder: Client;
  let viewer: Client;
  let userManager: Client;

  before(async () => {
    fixture = await startFixture();
    changer = await staffWith(fixture, 'changer@example.com', ['view_product', 'change_product']);
    adder = await staffWith(fixture, 'adder@example.com', ['add_product']);
    viewer = await staffWith(fixture, 'viewer@example.com', ['view_product']);
    userManager = await staffWith(fixture, 'users@example.com', ['view_user', 'change_user']);
  });
  after(() => fixture.close());

  it('whoever may change or add products finds categories by name, and gets only ids and names', async () => {
    for (const client of [changer, adder]) {
      const { status, body } = await client.api<SearchAnswer>('/resources/Category/search/kitch');
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual(
        body.records?.map((record) => record.title),
        ['Kitchen'],
      );
      for (const record of body.records ?? []) {
        assert.deepEqual(Object.keys(record.params), ['id'], 'no slug, no timestamps');
        assert.deepEqual(record.recordActions, [], 'no show or edit offered');
      }
    }
  });

  it('cannot use the picker to filter on other fields', async () => {
    // As the list would: filters.slug narrows a search; for the picker it is ignored.
    const { body } = await changer.api<SearchAnswer>('/resources/Category/search?filters.slug=garden-tools');
    assert.deepEqual(body.records?.map((record) => record.title).sort(), ['Garden tools', 'Kitchen']);
    const probe = await changer.api<SearchAnswer>(
      '/resources/Category/search?filters.createdAt~~from=2999-01-01',
    );
    assert.equal(probe.body.records?.length, 2, 'a filter on a date cannot probe it either');
  });

  it('every other category action stays refused, and nothing changes', async () => {
    const [tools] = fixture.ids.categories;
    const reads = [
      '/resources/Category/actions/list',
      `/resources/Category/records/${tools}/show`,
      `/resources/Category/records/${tools}/edit`,
      // (GET of `new` is 405 for everyone: attack-api-requests.test.ts. Its POST is below.)
      '/resources/Category/actions/export',
      '/resources/Category/actions/allMatching',
    ];
    for (const path of reads) {
      const { status } = await changer.api(path);
      assert.equal(status, 403, `GET ${path}`);
    }
    const writes: Array<[string, Record<string, string>]> = [
      [`/resources/Category/records/${tools}/edit`, { name: 'Renamed' }],
      ['/resources/Category/actions/new', { name: 'Planted', slug: 'planted' }],
      [`/resources/Category/records/${tools}/delete`, {}],
      [`/resources/Category/bulk/bulkDelete?recordIds=${tools}`, {}],
    ];
    for (const [path, form] of writes) {
      const { status } = await changer.api(path, { form });
      assert.equal(status, 403, `POST ${path}`);
    }
    const export_ = await changer.request('/admin/export/Category?format=csv');
    assert.equal(export_.status, 403, 'the streamed export too');
    const em = fixture.db.orm.em.fork();
    assert.equal(await em.count(Category), 2);
    assert.equal((await em.findOneOrFail(Category, tools!)).name, 'Garden tools');
  });

  it('viewing products alone does not open the picker', async () => {
    const { status } = await viewer.api('/resources/Category/search/kitch');
    assert.equal(status, 403);
  });

  it('the user form’s role picker works the same way for whoever may change users', async () => {
    const { status, body } = await userManager.api<SearchAnswer>('/resources/Role/search/edit');
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(
      body.records?.map((record) => record.title),
      ['editor'],
    );
    assert.deepEqual(Object.keys(body.records?.[0]?.params ?? {}), ['id'], 'not the role’s permissions');
    assert.equal((await userManager.api('/resources/Role/actions/list')).status, 403);
  });
});
