/**
 * List parameters that used to end in a 500 or a broken download, on both databases: sorting by a JSON
 * column and a range on a number or a flag (PostgreSQL refused the query), filter keys and bulk
 * operations named after Object.prototype's members, and an order's lines exported to CSV as
 * "[object Object]". The list, its export and its "all matching" count read the query the same way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Order, User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';
import { exportedJsonLines } from './export-support.js';

const LINES = [
  { productId: 3, quantity: 2, unitPriceCents: 1999 },
  { productId: 7, quantity: 1, unitPriceCents: 500 },
];

interface ListBody {
  records?: Array<{ id: string }>;
  meta?: { total: number };
}

describe(`attack: list parameters the database cannot take (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
    const em = fixture.db.orm.em.fork();
    const alice = em.create(User, { email: 'alice@shop.example', passwordHash: 'x' });
    em.create(Order, { user: alice, status: 'paid', currency: 'EUR', totalCents: 4498, lines: LINES });
    em.create(Order, {
      user: alice,
      status: 'pending',
      currency: 'EUR',
      totalCents: 500,
      lines: [LINES[1]!],
    });
    await em.flush();
  });
  after(() => fixture.close());

  /** The ids the list shows for this query (one page is all of them here). */
  const listed = async (resource: string, query: string) => {
    const { status, body } = await root.api<ListBody>(`/resources/${resource}/actions/list?${query}`);
    assert.equal(status, 200, `${resource}?${query}: ${JSON.stringify(body).slice(0, 300)}`);
    return body.records!.map((record) => String(record.id));
  };

  /** The CSV export for this query, read to its end: a cut download fails the fetch. */
  const exportedCsv = async (resource: string, query: string) => {
    const response = await root.request(`/admin/export/${resource}?format=csv&${query}`);
    const text = await response.text();
    assert.equal(response.status, 200, `${resource}?${query}: ${text.slice(0, 300)}`);
    return text;
  };

  it('exports JSON holding objects (an order lines) to CSV as JSON, plain lists still joined', async () => {
    const csv = await exportedCsv('Order', 'sortBy=id&direction=asc');
    assert.ok(!csv.includes('[object Object]'), csv);
    const lines = JSON.stringify(LINES).replaceAll('"', '""');
    assert.ok(csv.includes(`,"${lines}",`), csv);
    // The JSON Lines export has always had them as JSON: both formats hold the same lines.
    const rows = await exportedJsonLines(root, 'Order', 'sortBy=id&direction=asc');
    assert.deepEqual(rows[0]!.lines, LINES);
    // A list of text (a product's tags) is still one readable cell.
    assert.ok((await exportedCsv('Product', '')).includes('"garden; steel"'));
  });

  it('lists and exports in the default order when asked to sort by a JSON column', async () => {
    for (const field of ['lines', 'stockTaken']) {
      for (const direction of ['asc', 'desc']) {
        const byId = await listed('Order', `sortBy=id&direction=${direction}`);
        assert.equal(byId.length, 2);
        assert.deepEqual(await listed('Order', `sortBy=${field}&direction=${direction}`), byId, field);
      }
      const rows = await exportedJsonLines(root, 'Order', `sortBy=${field}`);
      assert.equal(rows.length, 2, field);
      assert.ok((await exportedCsv('Order', `sortBy=${field}`)).includes('"paid"'), field);
    }
    // Tags (a JSON list of text) were never sortable; still not a 500.
    assert.equal((await listed('Product', 'sortBy=tags')).length, 3);
  });

  it('ignores a range on a number or a flag (as any filter that does not read), in list, export and all matching', async () => {
    for (const filter of [
      'filters.stock~~from=2020-01-01',
      'filters.stock~~to=2020-01-01T00:00:00.000Z',
      'filters.published~~to=5',
      'filters.priceCents~~from=1&filters.priceCents~~to=2',
    ]) {
      assert.equal((await listed('Product', filter)).length, 3, filter);
      assert.equal((await exportedJsonLines(root, 'Product', filter)).length, 3, filter);
      const count = await root.api<{ total: number }>(`/resources/Product/actions/allMatching?${filter}`);
      assert.deepEqual([count.status, count.body.total], [200, 3], filter);
    }
    // A range on a timestamp still filters.
    assert.equal((await listed('Product', 'filters.createdAt~~from=2100-01-01T00:00:00.000Z')).length, 0);
  });

  it('ignores filter keys named after Object.prototype members, in list, export and all matching', async () => {
    for (const filter of [
      'filters.hasOwnProperty=1',
      'filters.toString=1',
      'filters.valueOf~~from=2020-01-01',
      'filters.isPrototypeOf=1&filters.q=spade',
    ]) {
      const expected = filter.includes('q=spade') ? 1 : 3;
      assert.equal((await listed('Product', filter)).length, expected, filter);
      assert.equal((await exportedJsonLines(root, 'Product', filter)).length, expected, filter);
      const count = await root.api<{ total: number }>(`/resources/Product/actions/allMatching?${filter}`);
      assert.deepEqual([count.status, count.body.total], [200, expected], filter);
    }
  });

  it('refuses a bulk operation named after an Object.prototype member (400), as an unknown one', async () => {
    for (const operation of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'nope']) {
      const { status, body } = await root.api('/resources/Product/actions/allMatching', {
        form: { operation },
      });
      assert.equal(status, 400, `${operation}: ${JSON.stringify(body)}`);
      assert.equal(body.error, 'unknown_operation', operation);
    }
  });

  it('answers a query the database refuses with a JSON error before any download starts', async () => {
    const knex = fixture.db.orm.em.getKnex();
    await knex.raw('alter table categories rename to categories_away');
    try {
      const response = await root.request('/admin/export/Category?format=csv');
      assert.equal(response.status, 500);
      assert.match(String(response.headers.get('content-type')), /^application\/json/);
      assert.equal(((await response.json()) as { error: string }).error, 'internal_error');
    } finally {
      await knex.raw('alter table categories_away rename to categories');
    }
  });
});
