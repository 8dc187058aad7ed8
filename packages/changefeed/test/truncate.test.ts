/**
 * TRUNCATE of a hot table reaches the feed as a delete of every row it emptied (change capture v2).
 * Row triggers do not fire on TRUNCATE: under v1 the feed saw nothing and fast kept serving the rows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Category, Product } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { eventually, mapFeed } from './helpers.js';

const skip = testDialect() !== 'postgresql' && 'PostgreSQL only: SQLite has no TRUNCATE';

let db: MigratedTestDatabase;
let feedUnderTest: ReturnType<typeof mapFeed>;
const sql = (query: string): Promise<unknown> => db.orm.em.getConnection().execute(query);

before(async () => {
  if (skip) return;
  db = await createMigratedDatabase();
  const em = db.orm.em.fork();
  const tools = em.create(Category, { name: 'Tools', slug: 'tools' });
  for (const sku of ['HAMMER', 'SAW', 'DRILL'])
    em.create(Product, {
      sku,
      name: sku.toLowerCase(),
      priceCents: 500,
      currency: 'EUR',
      stock: 1,
      category: tools,
      tags: [],
      published: true,
    });
  await em.flush();
  feedUnderTest = mapFeed(db);
  await feedUnderTest.feed.start();
});

after(async () => {
  await feedUnderTest?.feed.close();
  await db?.close();
});

test(
  'a rolled-back TRUNCATE changes nothing; a committed one deletes every row in the feed',
  { skip },
  async () => {
    const products = () => feedUnderTest.records.get('products')!;
    assert.equal(products().size, 3);

    await sql('begin; truncate products cascade; rollback;');
    // A change after the rollback: once the feed has it, it has read past the rolled-back TRUNCATE.
    await sql(`update categories set name = 'Hand tools' where slug = 'tools'`);
    await eventually('the category renamed after the rollback', () =>
      [...feedUnderTest.records.get('categories')!.values()].some((j) => j.includes('Hand tools')),
    );
    assert.equal(products().size, 3, 'a rolled-back TRUNCATE deletes nothing');

    await sql('truncate products cascade');
    await eventually('the truncated products gone from the feed', () => products().size === 0);
    const deletes = feedUnderTest.changes.filter((c) => c.collection === 'products' && c.json === null);
    assert.equal(deletes.length, 3, 'one delete per truncated row');
    assert.equal(feedUnderTest.records.get('categories')!.size, 1, 'a table not truncated keeps its rows');
  },
);
