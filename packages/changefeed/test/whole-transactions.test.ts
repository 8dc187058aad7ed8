import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTransaction, testDialect } from '@tandem/models/testing';
import { eventually, productWriterFixture } from './helpers.js';

const skip = testDialect() !== 'postgresql' && 'PostgreSQL only: the transaction-id window';

test(
  'a batch never shows part of a transaction: a row re-read after a later commit comes with that commit',
  { skip },
  async () => {
    const fixture = await productWriterFixture();
    const { db, writer, insertProduct, products } = fixture;
    try {
      // `older` keeps the watermark below A; `between` is begun after A commits and before B.
      const older = await openTransaction(db.url);
      await insertProduct(writer, 'FIRST', 100); // A
      const between = await openTransaction(db.url);
      try {
        // B: changes A's row and adds another, as the applier records an outcome and creates an order.
        await writer.query('begin');
        await writer.query(`update products set price_cents = 200 where sku = 'FIRST'`);
        await insertProduct(writer, 'SECOND', 300);
        await writer.query('commit');
        // The watermark moves up to `between`: over A's event, not B's. Whenever A's row is served as B
        // left it, B's other row is served too (the feed applies a batch at once, between these checks).
        await older.end();
        await eventually('the first row is served as B left it', () =>
          products().some((p) => p.sku === 'FIRST' && p.priceCents === 200),
        );
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
      await fixture.close();
    }
  },
);
