/**
 * The relay's outbox prune never loses an event to the replicas: it keeps what the relay has not
 * relayed (a change committed behind a long transaction, a backlog left while it was down), and a
 * relay that resumes below what another reader pruned reloads and marks the stream, so replicas
 * reload too. Before, its prune deleted by age alone and the entries still chained: no one reloaded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import type { ChangeFeedOptions } from '../src/index.js';
import { eventually, mapFeed } from './helpers.js';
import { OUTWAIT_RETENTION_MS, SHORT_RETENTION, outboxFixture, pause } from './prune-support.js';
import { REDIS_SKIP, REDIS_URL, redisSource, startRelay, uniqueStreamKey } from './redis-support.js';

/** A relay into a new stream (with `options`) and a replica reading that stream, both started. */
async function relayAndReplica(db: MigratedTestDatabase, options: Partial<ChangeFeedOptions> = {}) {
  const key = uniqueStreamKey();
  const relay = startRelay(db, REDIS_URL!, key, 1000, options);
  await relay.ready();
  const replica = mapFeed(db, {}, redisSource(db, REDIS_URL!, key));
  await replica.feed.start();
  return { key, relay, replica };
}

test(
  'a change committed behind a transaction open longer than the retention is relayed, not pruned',
  { skip: REDIS_SKIP || (testDialect() !== 'postgresql' && 'PostgreSQL only: SQLite has one writer') },
  async () => {
    const { db, insertProduct, productEvents } = await outboxFixture();
    const { relay, replica } = await relayAndReplica(db, SHORT_RETENTION);
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('select pg_current_xact_id()'); // holds every reader's watermark back
      const id = await insertProduct('BEHIND');
      await pause(OUTWAIT_RETENTION_MS);
      assert.equal(await productEvents(id), 1, 'the relay has not read it: its prune keeps it');
      await blocker.query('commit');
      await eventually('the replica has the product', () => replica.records.get('products')!.has(id));
      assert.equal(replica.feed.status().snapshots, 1, 'nothing was lost, nothing reloaded');
    } finally {
      await blocker.end();
      await replica.feed.close();
      await relay.close();
      await db.close();
    }
  },
);

test(
  `a relay resumed after more than the retention relays its whole backlog (${testDialect()})`,
  { skip: REDIS_SKIP },
  async () => {
    const { db, insertProduct, backlogWiderThanOneRead } = await outboxFixture();
    const { key, replica, relay: first } = await relayAndReplica(db, SHORT_RETENTION);
    let relay = first;
    try {
      const a = await insertProduct('A');
      await eventually('A relayed', () => replica.records.get('products')!.has(a));
      await relay.close();
      await backlogWiderThanOneRead();
      const b = await insertProduct('B');
      await pause(OUTWAIT_RETENTION_MS); // the relay stays down longer than the retention
      relay = startRelay(db, REDIS_URL!, key, 1000, SHORT_RETENTION);
      await eventually('B relayed', () => replica.records.get('products')!.has(b));
      assert.equal(replica.feed.status().snapshots, 1, 'relayed entry by entry, no reload');
    } finally {
      await replica.feed.close();
      await relay.close();
      await db.close();
    }
  },
);

test(
  `a relay resumed below what another reader pruned reloads, and its replicas with it (${testDialect()})`,
  { skip: REDIS_SKIP },
  async () => {
    const { db, insertProduct, productEvents } = await outboxFixture();
    const { key, replica, relay: first } = await relayAndReplica(db);
    let relay = first;
    try {
      const a = await insertProduct('A');
      await eventually('A relayed', () => replica.records.get('products')!.has(a));
      await relay.close();
      // While the relay is down, a fast node reading the database directly prunes B once it has read it.
      const direct = mapFeed(db, SHORT_RETENTION);
      await direct.feed.start();
      const b = await insertProduct('B');
      await pause(OUTWAIT_RETENTION_MS);
      await eventually('B pruned by the direct reader', async () => {
        direct.feed.poke();
        return (await productEvents(b)) === 0;
      });
      await direct.feed.close();
      relay = startRelay(db, REDIS_URL!, key);
      // B's event is gone: only a reload (the relay's, then the replica's) can bring it.
      await eventually('the replica reloads', () => replica.feed.status().snapshots === 2);
      assert.ok(replica.records.get('products')!.has(b), 'the reload holds B');
      assert.ok(replica.records.get('products')!.has(a), 'and everything else');
    } finally {
      await replica.feed.close();
      await relay.close();
      await db.close();
    }
  },
);
