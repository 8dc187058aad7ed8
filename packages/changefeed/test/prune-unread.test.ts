/**
 * The outbox prune never loses an event to a reader: its own reader's prune keeps what that reader has
 * not read, however old, and a reader whose unread events another reader pruned reloads a snapshot
 * instead of going on without them. Before, the prune deleted by age alone: a feed resumed after more
 * than the retention read one slice of its backlog, pruned the rest unread, and went on (no reload).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { eventually, mapFeed } from './helpers.js';
import { OUTWAIT_RETENTION_MS, SHORT_RETENTION, outboxFixture, pause, resumedFeed } from './prune-support.js';

test(`a feed resumed after more than the retention reads its whole backlog before pruning it (${testDialect()})`, async () => {
  const { db, insertProduct, productEvents, backlogWiderThanOneRead } = await outboxFixture();
  const first = mapFeed(db);
  await first.feed.start();
  const a = await insertProduct('A');
  await eventually('A read', () => first.records.get('products')!.has(a));
  const position = first.feed.status().position!;
  await first.feed.close();
  await backlogWiderThanOneRead();
  const b = await insertProduct('B');
  await pause(OUTWAIT_RETENTION_MS);
  const resumed = resumedFeed(db, position, SHORT_RETENTION);
  try {
    await resumed.feed.start();
    await eventually('B read by the resumed feed', () => resumed.has('products', b));
    assert.equal(resumed.snapshots(), 0, 'its own prune left it nothing to reload');
    await eventually('B pruned once read', async () => (await productEvents(b)) === 0);
  } finally {
    await resumed.feed.close();
    await db.close();
  }
});

test(`a reader whose unread events another reader pruned reloads a snapshot (${testDialect()})`, async () => {
  const { db, insertProduct, productEvents } = await outboxFixture();
  const behind = mapFeed(db);
  await behind.feed.start();
  const a = await insertProduct('A');
  await eventually('A read', () => behind.records.get('products')!.has(a));
  const position = behind.feed.status().position!;
  await behind.feed.close();
  // Another reader, up to date, prunes with a short retention: B is old enough once it has read it.
  const pruner = mapFeed(db, SHORT_RETENTION);
  await pruner.feed.start();
  const b = await insertProduct('B');
  await pause(OUTWAIT_RETENTION_MS);
  await eventually('B pruned by the other reader', async () => {
    pruner.feed.poke();
    return (await productEvents(b)) === 0;
  });
  await pruner.feed.close();
  const resumed = resumedFeed(db, position, {});
  try {
    await resumed.feed.start();
    await eventually('the resumed reader reloads and has B', () => resumed.has('products', b));
    assert.equal(resumed.snapshots(), 1, 'B reached it through a snapshot: its event was gone');
    assert.ok(resumed.has('products', a), 'the snapshot holds everything');
  } finally {
    await resumed.feed.close();
    await db.close();
  }
});
