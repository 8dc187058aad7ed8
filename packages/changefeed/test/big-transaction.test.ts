/**
 * One transaction touching a very large number of hot rows (a data migration, a bulk UPDATE, a
 * TRUNCATE) is one batch of the feed. Collecting its changes with push(...list) overflowed the call
 * stack past ~125,000 rows, on every re-read of the batch: the feed stopped for good, and with it every
 * later change and session revocation. The feed must carry such a transaction and what follows it.
 * (PostgreSQL reads a transaction as one batch, which is where it broke; SQLite pages its events.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Category } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { eventually, seededFeed } from './helpers.js';

const ROWS = 200_000;

let fixture: Awaited<ReturnType<typeof seededFeed<Category>>>;
const sql = (query: string, params: unknown[] = []): Promise<unknown> =>
  fixture.db.orm.em.getConnection().execute(query, params);

before(async () => {
  fixture = await seededFeed((em) => em.create(Category, { name: 'Bulk', slug: 'bulk' }));
});
after(() => fixture?.close());

test(`a transaction of ${ROWS.toLocaleString('en')} hot rows reaches the feed, and so does what follows it`, async () => {
  const category = fixture.seeded.id;
  const rows =
    testDialect() === 'postgresql'
      ? `select 'BULK-' || i, 'bulk ' || i, 100, 'EUR', 1, ${category}, true from generate_series(1, ${ROWS}) as i`
      : `select 'BULK-' || i, 'bulk ' || i, 100, 'EUR', 1, ${category}, 1 from
           (with recursive n(i) as (select 1 union all select i + 1 from n where i < ${ROWS}) select i from n)`;
  // One statement, so one transaction on both databases.
  await sql(`insert into products (sku, name, price_cents, currency, stock, category_id, published) ${rows}`);
  await sql(`update categories set name = 'Renamed after' where id = ?`, [category]);

  const products = () => fixture.records.get('products')!;
  await eventually(
    'the change after the big transaction',
    () => [...fixture.records.get('categories')!.values()].some((json) => json.includes('Renamed after')),
    60_000,
  );
  assert.equal(products().size, ROWS, 'every row of the big transaction is served');
  assert.equal(fixture.feed.status().lastError, undefined, 'no read of the batch failed');
});
