/**
 * SQLite's `insert or replace` that replaces a row through another unique key deletes the old row
 * (another id): the feed must see that delete. SQLite fires delete triggers for it only with
 * recursive triggers on, which Tandem's connections set (packages/models/src/orm.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Category, Product } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { eventually, mapFeed } from './helpers.js';

const skip = testDialect() !== 'sqlite' && 'SQLite only: PostgreSQL has no insert or replace';

let db: MigratedTestDatabase;
let feedUnderTest: ReturnType<typeof mapFeed>;
let categoryId: number;
let lampId: number;

before(async () => {
  if (skip) return;
  db = await createMigratedDatabase();
  const em = db.orm.em.fork();
  const lights = em.create(Category, { name: 'Lights', slug: 'lights' });
  const lamp = em.create(Product, {
    sku: 'LAMP',
    name: 'Lamp',
    priceCents: 900,
    currency: 'EUR',
    stock: 1,
    category: lights,
    tags: [],
    published: true,
  });
  await em.flush();
  categoryId = lights.id;
  lampId = lamp.id;
  feedUnderTest = mapFeed(db);
  await feedUnderTest.feed.start();
});

after(async () => {
  await feedUnderTest?.feed.close();
  await db?.close();
});

test(
  'a row replaced through its sku leaves the feed under its old id and arrives under its new one',
  { skip },
  async () => {
    const products = () => feedUnderTest.records.get('products')!;
    assert.deepEqual([...products().keys()], [lampId]);

    await db.orm.em
      .getConnection()
      .execute(
        `insert or replace into products (sku, name, price_cents, currency, category_id, published) values ('LAMP', 'Lamp, second edition', 1200, 'EUR', ?, 1)`,
        [categoryId],
      );
    await eventually('the replaced lamp gone from the feed', () => !products().has(lampId));
    assert.equal(products().size, 1);
    const [newId, json] = [...products()][0]!;
    assert.notEqual(newId, lampId);
    assert.equal(JSON.parse(json).name, 'Lamp, second edition');
  },
);
