import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Category } from '@tandem/models';
import { createMigratedDatabase, openTransaction, testDialect } from '@tandem/models/testing';
import { eventually, mapFeed } from './helpers.js';

const skip = testDialect() !== 'postgresql' && 'PostgreSQL only: the transaction-id window';

test(
  'a batch never shows part of a transaction: a row re-read after a later commit comes with that commit',
  { skip },
  async () => {
    const db = await createMigratedDatabase();
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    const subject = mapFeed(db);
    try {
      const em = db.orm.em.fork();
      const category = em.create(Category, { name: 'Cat', slug: 'cat' });
      await em.flush();
      await subject.feed.start();
      const insert = `insert into products (sku, name, price_cents, currency, stock, category_id, published)
                      values ($1, $1, $2, 'EUR', 1, $3, true) returning id`;
      const products = () => [...subject.records.get('products')!.values()].map((json) => JSON.parse(json));

      // `older` keeps the watermark below A; `between` is begun after A commits and before B.
      const older = await openTransaction(db.url);
      await writer.query(insert, ['FIRST', 100, category.id]); // A
      const between = await openTransaction(db.url);
      try {
        // B: changes A's row and adds another, as the applier records an outcome and creates an order.
        await writer.query('begin');
        await writer.query(`update products set price_cents = 200 where sku = 'FIRST'`);
        await writer.query(insert, ['SECOND', 300, category.id]);
        await writer.query('commit');
        // The watermark moves up to `between`: over A's event, not B's. A's row is re-read as B left it.
        await older.end();
        await eventually('the first row is served', () => products().some((p) => p.sku === 'FIRST'));
        assert.equal(products().find((p) => p.sku === 'FIRST').priceCents, 200, 'as B left it');
        assert.ok(
          products().some((p) => p.sku === 'SECOND'),
          "B's change to the first row is served without the row B inserted",
        );
      } finally {
        await between.end();
      }
      await eventually('both rows as committed', () => {
        const served = products();
        return served.some((p) => p.sku === 'SECOND') && served.some((p) => p.priceCents === 200);
      });
    } finally {
      await subject.feed.close();
      await writer.end();
      await db.close();
    }
  },
);
