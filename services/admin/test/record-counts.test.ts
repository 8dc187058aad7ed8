/**
 * The dashboard's record counts never scan a big table on PostgreSQL: above the threshold they are
 * the planner's estimate (pg_class.reltuples, kept by ANALYZE), below it and on SQLite exact counts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Product } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { recordCount } from '../src/actions/record-counts.js';
import { OrmResource } from '../src/orm/resource.js';

describe('dashboard record counts', () => {
  let db: MigratedTestDatabase;
  let products: OrmResource;
  const postgres = testDialect() === 'postgresql';

  before(async () => {
    db = await createMigratedDatabase();
    products = new OrmResource(db.orm, {
      name: 'Product',
      label: 'Products',
      searchFields: [],
      defaultSort: { sortBy: 'id', direction: 'asc' },
    });
  });
  after(() => db.close());

  it('counts exactly below the threshold, and before PostgreSQL has any estimate', async () => {
    // Freshly created: never analyzed, so PostgreSQL has no estimate (-1) even with a threshold of 0.
    assert.deepEqual(await recordCount(db.orm, products, 0), { count: 0, estimated: false });
    const em = db.orm.em.fork();
    const category = await em
      .getConnection()
      .execute<{ id: number }[]>(`insert into categories (name, slug) values ('Bulk', 'bulk') returning id`);
    await em.getConnection().execute(
      `insert into products (sku, name, price_cents, currency, stock, category_id)
       select 'BULK-' || n, 'Bulk ' || n, 100, 'EUR', 1, ?
       from (${postgres ? 'select generate_series(1, 500) as n' : 'with recursive s(n) as (select 1 union all select n + 1 from s where n < 500) select n from s'}) numbers`,
      [category[0]!.id],
    );
    assert.equal(await em.count(Product), 500);
    assert.deepEqual(await recordCount(db.orm, products, 100_000), { count: 500, estimated: false });
  });

  it('shows PostgreSQL’s estimate above the threshold (SQLite: still exact)', async () => {
    if (postgres) await db.orm.em.getConnection().execute('analyze products');
    // A row added after ANALYZE is in the exact count but not yet in the estimate: the estimate is read.
    await db.orm.em.getConnection().execute(
      `insert into products (sku, name, price_cents, currency, stock, category_id)
       select 'LATE-1', 'Late', 100, 'EUR', 1, id from categories limit 1`,
    );
    const counted = await recordCount(db.orm, products, 100);
    assert.deepEqual(counted, postgres ? { count: 500, estimated: true } : { count: 501, estimated: false });
    assert.deepEqual(await recordCount(db.orm, products, 1_000), { count: 501, estimated: false });
  });
});
