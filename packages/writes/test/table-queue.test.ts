import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import {
  createMigratedDatabase,
  eventually,
  testDialect,
  type MigratedTestDatabase,
} from '@tandem/models/testing';
import type { WritesConfig } from '@tandem/config';
import {
  openWriteQueue,
  openWriteSource,
  type QueuedWrite,
  type WriteQueue,
  type WriteSource,
} from '../src/index.js';
import { configWith, orderCreate, productUpdate, writesConfig } from './support.js';

/**
 * The table queue (no REDIS_URL) on the database the suite runs against: SQLite always, PostgreSQL in
 * CI's PostgreSQL pass (DATABASE_URL). Every test gets a fresh database: the queue is the whole table.
 */
describe(`table write queue (${testDialect()})`, () => {
  let db: MigratedTestDatabase;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    db = await createMigratedDatabase();
  });
  // Every test's queues and appliers stop with it: an applier left running would hold partitions.
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  });
  after(async () => {
    await db.close();
  });

  const knex = () => db.orm.em.getKnex();
  async function reset() {
    await knex()('writes').delete();
  }
  function queue(writes: WritesConfig): WriteQueue {
    const opened = openWriteQueue(configWith(db.target, writes), db.orm);
    closers.push(() => opened.close());
    return opened;
  }
  function source(writes: WritesConfig, consumer: string): WriteSource {
    const opened = openWriteSource(configWith(db.target, writes), db.orm, consumer);
    closers.push(() => opened.close());
    return opened;
  }
  /** What the applier does with a batch: the outcome UPDATE, conditional on the row still being queued. */
  async function applyOutcomes(writes: readonly QueuedWrite[]): Promise<number> {
    let applied = 0;
    for (const { write } of writes)
      applied += Number(
        await knex()('writes')
          .where({ id: write.id, status: 'queued' })
          .update({
            status: 'applied',
            http_status: 201,
            applied_at: db.target.dialect === 'sqlite' ? Date.now() : new Date(),
          }),
      );
    return applied;
  }
  async function drain(from: WriteSource, count: number): Promise<QueuedWrite[]> {
    const taken: QueuedWrite[] = [];
    const deadline = Date.now() + 10_000;
    while (taken.length < count && Date.now() < deadline) {
      const batch = await from.next(100, 100);
      taken.push(...batch);
      await applyOutcomes(batch);
      await from.ack(batch.map((t) => t.write));
    }
    return taken;
  }

  test('accept is durable: a queued row in writes, committed, carrying the whole write', async () => {
    await reset();
    const q = queue(writesConfig());
    const write = orderCreate('17', 'k-1');
    const result = await q.accept(write);
    assert.equal(result.kind, 'accepted');
    const id = result.kind === 'accepted' ? result.id : 0;
    const row = (await knex()('writes').where({ id }).first()) as Record<string, unknown>;
    assert.equal(row.status, 'queued');
    assert.equal(row.subject, '17');
    assert.equal(row.owner_key, '17');
    assert.equal(row.body_hash, write.bodyHash);
    const body = typeof row.body === 'string' ? JSON.parse(row.body) : row.body;
    assert.deepEqual(body, write.body);
    assert.equal(await q.isQueued(id, '17'), true);
    assert.equal(await q.isQueued(id, '18'), false, "another subject does not learn of someone else's write");
    assert.equal(await q.isQueued(2 ** 40, '17'), false, 'an id beyond the column is simply unknown');
    const s = source(writesConfig(), 'durable-a');
    const [delivered] = await s.next(10, 1000);
    assert.deepEqual(
      { ...delivered!.write, acceptedAt: 0 },
      { ...write, id, partition: delivered!.write.partition, acceptedAt: 0 },
    );
    assert.equal(delivered!.write.acceptedAt, write.acceptedAt);
    await s.close();
  });

  test('Idempotency-Key: same body replays the same id, another body is key_reused, keys are per subject', async () => {
    await reset();
    const q = queue(writesConfig());
    const first = await q.accept(orderCreate('17', 'key-1', 1));
    assert.equal(first.kind, 'accepted');
    const id = first.kind === 'accepted' ? first.id : 0;
    assert.deepEqual(await q.accept(orderCreate('17', 'key-1', 1)), { kind: 'replayed', id });
    assert.deepEqual(await q.accept(orderCreate('17', 'key-1', 2)), { kind: 'key_reused', id });
    assert.equal((await q.accept(orderCreate('18', 'key-1', 1))).kind, 'accepted');
    // Without a key, every request is a new write.
    assert.equal((await q.accept(orderCreate('17', null))).kind, 'accepted');
    assert.equal((await q.accept(orderCreate('17', null))).kind, 'accepted');
    const [{ n }] = (await knex()('writes').count({ n: '*' })) as [{ n: number | string }];
    assert.equal(Number(n), 4);
  });

  test('parallel accepts with one key from two fast nodes queue exactly one write', async () => {
    await reset();
    const writes = writesConfig();
    const nodes = [queue(writes), queue(writes)];
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => nodes[i % 2]!.accept(orderCreate('17', 'race', 3))),
    );
    const accepted = results.filter((r) => r.kind === 'accepted');
    assert.equal(accepted.length, 1);
    const id = accepted[0]!.kind === 'accepted' ? accepted[0]!.id : 0;
    for (const r of results)
      assert.ok(r.kind === 'accepted' || (r.kind === 'replayed' && r.id === id), JSON.stringify(r));
    const [{ n }] = (await knex()('writes').count({ n: '*' })) as [{ n: number | string }];
    assert.equal(Number(n), 1);
  });

  test('depth bound: above WRITE_QUEUE_MAX_DEPTH accept answers busy and queues nothing', async () => {
    await reset();
    const q = queue(writesConfig({ maxQueueDepth: 3 }));
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await q.accept(orderCreate('17', `k${i}`)));
    assert.deepEqual(
      results.map((r) => r.kind),
      ['accepted', 'accepted', 'accepted', 'busy', 'busy', 'busy'],
    );
    assert.deepEqual(results[3], { kind: 'busy', depth: 3 });
    assert.equal(
      (await q.accept(orderCreate('17', 'k0'))).kind,
      'replayed',
      'a replay is answered at the bound',
    );
    const [{ n }] = (await knex()('writes').count({ n: '*' })) as [{ n: number | string }];
    assert.equal(Number(n), 3);
  });

  test('per-partition order, and the outcome UPDATE is the ack: applied rows are not delivered again', async () => {
    await reset();
    const writes = writesConfig();
    const q = queue(writes);
    const accepted: number[] = [];
    for (let i = 0; i < 30; i++) {
      const result = await q.accept(productUpdate('42', `${i}.00`));
      if (result.kind === 'accepted') accepted.push(result.id);
      await q.accept(orderCreate('17', null));
    }
    const s = source(writes, 'order-a');
    const taken = await drain(s, 60);
    assert.equal(taken.length, 60);
    const updates = taken.filter((t) => t.write.recordId === '42').map((t) => t.write);
    assert.deepEqual(
      updates.map((w) => w.id),
      accepted,
    );
    assert.deepEqual(
      updates.map((w) => w.body?.price),
      Array.from({ length: 30 }, (_, i) => `${i}.00`),
    );
    assert.equal(new Set(updates.map((w) => w.partition)).size, 1);
    assert.deepEqual(await s.next(100, 50), []);
    await eventually('depth counts no applied row', async () => (await q.depth()) === 0);
  });

  test('redelivery: rows without an outcome come back on the next call and after a restart', async () => {
    await reset();
    const writes = writesConfig();
    const q = queue(writes);
    for (let i = 0; i < 5; i++) await q.accept(orderCreate('17', null));
    const a = openWriteSource(configWith(db.target, writes), db.orm, 'redeliver-a');
    const first = await a.next(100, 1000);
    assert.equal(first.length, 5);
    assert.ok(first.every((t) => t.deliveries === 1));
    const again = await a.next(100, 1000); // the batch's transaction failed: nothing recorded
    assert.deepEqual(
      again.map((t) => [t.write.id, t.deliveries]),
      first.map((t) => [t.write.id, 2]),
    );
    await a.close();
    const b = source(writes, 'redeliver-b');
    const afterRestart = await b.next(100, 1000);
    assert.deepEqual(
      afterRestart.map((t) => t.write.id),
      first.map((t) => t.write.id),
    );
    assert.equal(await applyOutcomes(afterRestart), 5);
    assert.equal(await applyOutcomes(afterRestart), 0, 'a second outcome for the same write changes nothing');
  });

  test(
    'PostgreSQL: appliers split the partitions by advisory lock; a lost session’s partitions are taken over, no write lost',
    { skip: testDialect() !== 'postgresql' && 'advisory locks are PostgreSQL’s; SQLite has one writer' },
    async () => {
      await reset();
      const writes = writesConfig({ partitionLeaseMs: 600 });
      const a = source(writes, 'locks-a');
      const b = source(writes, 'locks-b');
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      const heldBy = async () => {
        const { rows } = await admin.query<{ pid: number; partition: number }>(
          `select l.pid, l.objid::int as partition from pg_locks l
            where l.locktype = 'advisory' and l.granted and l.classid::bigint = $1 and l.objsubid = 2
              and l.database = (select oid from pg_database where datname = current_database())`,
          [0x54_57_41_50],
        );
        return rows;
      };
      try {
        await eventually('each applier holds two partitions', async () => {
          await Promise.all([a.next(10, 20), b.next(10, 20)]);
          const rows = await heldBy();
          const pids = new Set(rows.map((r) => r.pid));
          return (
            rows.length === 4 &&
            pids.size === 2 &&
            [...pids].every((pid) => rows.filter((r) => r.pid === pid).length === 2)
          );
        });
        const q = queue(writes);
        for (let i = 0; i < 20; i++) await q.accept(orderCreate('17', null));
        // Kill one applier's session the way a crash would end it: the server releases its locks.
        const victim = (await heldBy())[0]!.pid;
        await admin.query('select pg_terminate_backend($1)', [victim]);
        const taken: QueuedWrite[] = [];
        await eventually('the other applier applies every write', async () => {
          for (const s of [a, b]) {
            const batch = await s.next(100, 20).catch(() => []);
            taken.push(...batch);
            await applyOutcomes(batch);
            await s.ack(batch.map((t) => t.write));
          }
          return new Set(taken.map((t) => t.write.id)).size === 20;
        });
      } finally {
        await admin.end();
      }
    },
  );
});
