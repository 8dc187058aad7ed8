/**
 * SQLite's `insert or replace` that replaces a row through another unique key deletes the old row
 * (another id): the feed must see that delete. SQLite fires delete triggers for it only with
 * recursive triggers on, which Tandem's connections set (packages/models/src/orm.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Category } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { createProduct, eventually, seededFeed } from './helpers.js';

const skip = testDialect() !== 'sqlite' && 'SQLite only: PostgreSQL has no insert or replace';

let fixture: Awaited<ReturnType<typeof seededFeed<{ lights: Category; lamp: { id: number } }>>>;

before(async () => {
  if (skip) return;
  fixture = await seededFeed((em) => {
    const lights = em.create(Category, { name: 'Lights', slug: 'lights' });
    return { lights, lamp: createProduct(em, lights, 'LAMP') };
  });
});

after(() => fixture?.close());

test(
  'a row replaced through its sku leaves the feed under its old id and arrives under its new one',
  { skip },
  async () => {
    const products = () => fixture.records.get('products')!;
    const { lights, lamp } = fixture.seeded;
    assert.deepEqual([...products().keys()], [lamp.id]);

    await fixture.db.orm.em
      .getConnection()
      .execute(
        `insert or replace into products (sku, name, price_cents, currency, category_id, published) values ('LAMP', 'Lamp, second edition', 1200, 'EUR', ?, 1)`,
        [lights.id],
      );
    await eventually('the replaced lamp gone from the feed', () => !products().has(lamp.id));
    assert.equal(products().size, 1);
    const [newId, json] = [...products()][0]!;
    assert.notEqual(newId, lamp.id);
    assert.equal(JSON.parse(json).name, 'Lamp, second edition');
  },
);
