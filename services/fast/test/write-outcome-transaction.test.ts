/**
 * A waited-for write is answered with the record it wrote even when the feed brings its outcome while
 * an older transaction is still open (PostgreSQL, the table queue). The applier commits the order and
 * the `writes` row's outcome together, but the feed's window ends below the oldest running transaction:
 * a read whose window held only the write's queueing re-read its `writes` row as it stood after the
 * applier's commit, without the order that commit created. The waiting POST then got 201 from the
 * outcome row alone, and the owner's PATCH of the new order a 404 (a CI flake on a loaded machine,
 * where any other database's transaction on the server holds the window back).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openTransaction, testDialect } from '@tandem/models/testing';
import { eventually } from './support/fast.js';
import { bearer, get } from './support/http.js';
import { createUsers } from './support/orders.js';
import { productIds, send, startWriteHarness, writerToken, type WriteHarness } from './support/writes.js';

const skip = testDialect() === 'postgresql' ? false : 'the transaction-id window is the PostgreSQL feed';

let h: WriteHarness;

before(async () => {
  if (skip) return;
  h = await startWriteHarness({ queue: 'table', applier: false });
});
after(() => h?.close());

test(
  'Prefer: wait answers with the created order itself when the feed reads the outcome behind an open transaction',
  { skip },
  async () => {
    const [alice] = await createUsers(h, 'open-transaction', 1);
    const token = await writerToken(h, alice!);
    const [product] = await productIds(h);
    const url = (path: string) => `${h.fast.url}${path}`;

    // The window cannot pass `older` (begun before the write is queued) until it ends; `between` is begun
    // after the queueing committed and before the applier's transaction.
    const older = await openTransaction(h.db.url);
    const reply = send('POST', url('/v1/orders'), {
      token,
      body: { lines: [{ productId: product, quantity: 1 }] },
      headers: { prefer: 'wait=30' },
    });
    await eventually('the write is queued', async () => (await h.sql('select id from writes')).length === 1);
    const between = await openTransaction(h.db.url);
    try {
      await h.startApplier();
      await eventually(
        'the applier committed the order and its outcome',
        async () => (await h.sql(`select id from writes where status = 'applied'`)).length === 1,
        30_000,
      );
      // Now the window moves up to `between`: over the queueing, not the applier's transaction.
      await older.end();
      const placed = await reply;
      assert.equal(placed.status, 201, placed.text);
      const path = String(placed.headers.location);
      const read = await get(url(path), bearer(token));
      assert.equal(read.status, 200, `the order is served once its outcome is: ${read.text}`);
      assert.equal(placed.text, read.text, 'the reply is the order, not the outcome row');
      assert.equal(placed.headers.etag, read.headers.etag);
      const stale = await send('PATCH', url(path), {
        token,
        body: { status: 'cancelled' },
        headers: { 'if-match': '"AAAAAAAAAAAAAAAAAAAAAA"' },
      });
      assert.equal(stale.status, 412, stale.text);
    } finally {
      await between.end();
    }
  },
);
