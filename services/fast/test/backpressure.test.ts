import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { testDialect } from '@tandem/models/testing';
import { eventually, seedCatalog, startHarness, type Harness } from './support/fast.js';
import { openLive } from './support/ws.js';

let h: Harness;
before(async () => {
  h = await startHarness({ FAST_WS_MAX_BACKPRESSURE_BYTES: String(64 * 1024) }, (db) => seedCatalog(db, 1));
});
after(() => h?.close());

test(`a subscriber that stops reading is disconnected, others are unaffected (${testDialect()})`, async () => {
  const token = await h.issuer.sign();
  const slow = await openLive(h.fast.url, { token });
  const healthy = await openLive(h.fast.url, { token });
  for (const client of [slow, healthy]) {
    client.send({ type: 'subscribe', topic: 'products' });
    await client.next((f) => f.type === 'subscribed', 'subscribed');
  }
  // Stop reading: the kernel buffers fill, then uWS buffers, then the limit closes the socket.
  (slow.socket as unknown as { _socket: Socket })._socket.pause();
  const [row] = await h.sql(`select min(id) as id from products`);
  const description = 'x'.repeat(200_000);
  for (let i = 0; i < 80 && h.fast.live.connections > 1; i++) {
    await h.sql(`update products set description = ? where id = ?`, [`${i}${description}`, row.id]);
    await healthy.next((f) => f.type === 'change', `change ${i}`);
  }
  await eventually('the slow subscriber was disconnected', () => h.fast.live.connections === 1);
  assert.equal(healthy.closed, undefined, 'the reading subscriber stays connected');
  slow.close();
  healthy.close();
});
