import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import {
  createMigratedDatabase,
  eventually,
  redisServerInstalled,
  startPrivateRedis,
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
import { ACCEPT_BATCH_MAX } from '../src/redis-queue.js';
import {
  REDIS_SKIP,
  REDIS_URL,
  configWith,
  dropKeys,
  orderCreate,
  productUpdate,
  writesConfig,
} from './support.js';
import { StallingProxy } from './stalling-proxy.js';

describe(`Redis Streams write queue (${testDialect()})`, { skip: REDIS_SKIP }, () => {
  const url = REDIS_URL!;
  let db: MigratedTestDatabase;
  let redis: Redis;
  const prefixes: string[] = [];
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    db = await createMigratedDatabase();
    redis = new Redis(url);
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  });
  after(async () => {
    for (const prefix of prefixes) await dropKeys(url, prefix);
    redis.disconnect();
    await db.close();
  });

  function settings(overrides: Partial<WritesConfig> = {}): WritesConfig {
    const writes = writesConfig({ redisUrl: url, ...overrides });
    prefixes.push(writes.redisKeyPrefix);
    return writes;
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
  /**
   * Takes `count` writes (or what comes within 10 s), batch by batch as an applier does: each batch
   * acknowledged before the next call (`ack` false: the batches stay unacknowledged, one call only).
   */
  async function drain(from: WriteSource, count: number, ack = true): Promise<QueuedWrite[]> {
    const taken: QueuedWrite[] = [];
    const deadline = Date.now() + 10_000;
    while (taken.length < count && Date.now() < deadline) {
      const batch = await from.next(ack ? 100 : count, 200);
      taken.push(...batch);
      if (ack) await from.ack(batch.map((t) => t.write));
      else if (batch.length > 0) break;
    }
    return taken;
  }
  async function streamLengths(writes: WritesConfig, on: Redis = redis): Promise<number> {
    let total = 0;
    for (let p = 0; p < writes.partitions; p++) total += await on.xlen(`${writes.redisKeyPrefix}:${p}`);
    return total;
  }

  test('accept is durable before it resolves: the entry is in its partition stream, marked queued', async () => {
    const writes = settings();
    const q = queue(writes);
    const write = orderCreate('17', null);
    const result = await q.accept(write);
    assert.equal(result.kind, 'accepted');
    const id = result.kind === 'accepted' ? result.id : 0;
    // Read back through a connection of its own: what another process would find.
    let found: [string, string[]] | undefined;
    for (let p = 0; p < writes.partitions; p++) {
      const entries = (await redis.xrange(`${writes.redisKeyPrefix}:${p}`, '-', '+')) as [string, string[]][];
      found ??= entries.find(([entry]) => entry === `${id}-0`);
    }
    assert.ok(found, 'the entry is in a partition stream under the write id');
    assert.deepEqual(JSON.parse(found[1][1]!).body, write.body);
    assert.equal(await q.depth(), 1);
    assert.equal(await q.isQueued(id, '17'), true);
    assert.equal(await q.isQueued(id, '18'), false, "another subject does not learn of someone else's write");
    assert.equal(await q.isQueued(id + 1, '17'), false);
  });

  test('Idempotency-Key: same body replays the same id, another body is key_reused, keys are per subject', async () => {
    const q = queue(settings());
    const first = await q.accept(orderCreate('17', 'key-1', 1));
    assert.equal(first.kind, 'accepted');
    const id = first.kind === 'accepted' ? first.id : 0;
    assert.deepEqual(await q.accept(orderCreate('17', 'key-1', 1)), { kind: 'replayed', id });
    assert.deepEqual(await q.accept(orderCreate('17', 'key-1', 2)), { kind: 'key_reused', id });
    const other = await q.accept(orderCreate('18', 'key-1', 1));
    assert.equal(other.kind, 'accepted', "another subject's key is its own");
    // A key holding the separator does not reach into another subject's keys.
    const colon = await q.accept(orderCreate('client:1', '7:key', 1));
    const colon2 = await q.accept(orderCreate('client', '1:7:key', 1));
    assert.equal(colon.kind, 'accepted');
    assert.equal(colon2.kind, 'accepted');
    assert.equal(await q.depth(), 4, 'replays and reuses queued nothing');
  });

  test('parallel accepts with one key from two fast nodes queue exactly one write', async () => {
    const writes = settings();
    const nodes = [queue(writes), queue(writes)];
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => nodes[i % 2]!.accept(orderCreate('17', 'race', 3))),
    );
    const accepted = results.filter((r) => r.kind === 'accepted');
    assert.equal(accepted.length, 1);
    const id = accepted[0]!.kind === 'accepted' ? accepted[0]!.id : 0;
    for (const r of results)
      assert.ok(r.kind === 'accepted' || (r.kind === 'replayed' && r.id === id), JSON.stringify(r));
    assert.equal(await nodes[0]!.depth(), 1);
  });

  test('depth bound: above WRITE_QUEUE_MAX_DEPTH accept answers busy and queues nothing; a replay is still answered', async () => {
    const writes = settings({ maxQueueDepth: 5 });
    const q = queue(writes);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => q.accept(orderCreate('17', `k${i}`))),
    );
    assert.equal(results.filter((r) => r.kind === 'accepted').length, 5);
    for (const r of results.filter((r) => r.kind !== 'accepted'))
      assert.deepEqual(r, { kind: 'busy', depth: 5 });
    assert.equal(await streamLengths(writes), 5);
    const replay = await q.accept(orderCreate('17', 'k0'));
    assert.ok(replay.kind === 'replayed' || replay.kind === 'busy');
    // The accepted key k<n> is replayed, not refused, even at the bound.
    const acceptedIndex = results.findIndex((r) => r.kind === 'accepted');
    assert.equal((await q.accept(orderCreate('17', `k${acceptedIndex}`))).kind, 'replayed');
  });

  test('depth bound: the count acks lowered is taken up at the next recount, and a lost count is counted again', async () => {
    const writes = settings({ maxQueueDepth: 5 });
    const q = queue(writes);
    const depthKey = `${writes.redisKeyPrefix}:depth`;
    for (let i = 0; i < 5; i++) assert.equal((await q.accept(orderCreate('17', null))).kind, 'accepted');
    assert.deepEqual(await q.accept(orderCreate('17', null)), { kind: 'busy', depth: 5 });
    // The count expires unless recounted: a stale count cannot refuse writes for long.
    const ttl = await redis.pttl(depthKey);
    assert.ok(ttl > 0 && ttl <= 1000, `depth key TTL ${ttl} ms`);

    const s = source(writes, 'depth-a');
    const taken = await drain(s, 2, false);
    assert.ok(taken.length >= 2);
    await s.ack(taken.slice(0, 2).map((t) => t.write));
    // Acks do not lower the count (it only overstates); depth() counts the streams and stores that.
    assert.equal(await q.depth(), 3);
    assert.equal(Number(await redis.get(depthKey)), 3);
    assert.equal((await q.accept(orderCreate('17', null))).kind, 'accepted');
    assert.equal((await q.accept(orderCreate('17', null))).kind, 'accepted');
    assert.deepEqual(await q.accept(orderCreate('17', null)), { kind: 'busy', depth: 5 });
    assert.equal(await streamLengths(writes), 5);

    // The count lost (a stray DEL, an eviction): the next accept counts the streams, not from zero.
    await redis.del(depthKey);
    assert.deepEqual(await q.accept(orderCreate('17', null)), { kind: 'busy', depth: 5 });
    assert.equal(Number(await redis.get(depthKey)), 5);
    // A count that overstates (acks since the last recount) is corrected by the next depth().
    await redis.set(depthKey, 99, 'PX', 1000);
    assert.equal(await q.depth(), 5);
    assert.equal(Number(await redis.get(depthKey)), 5);
    assert.equal(await streamLengths(writes), 5, 'nothing was queued past the bound');
  });

  test('a burst of parallel accepts with one key on one connection queues one write; another body is refused every time', async () => {
    const writes = settings();
    const q = queue(writes);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => q.accept(orderCreate('17', 'burst', 3))),
    );
    const accepted = results.filter((r) => r.kind === 'accepted');
    assert.equal(accepted.length, 1);
    const id = accepted[0]!.kind === 'accepted' ? accepted[0]!.id : 0;
    assert.ok(results.every((r) => r.kind === 'accepted' || (r.kind === 'replayed' && r.id === id)));
    const reused = await Promise.all(
      Array.from({ length: 50 }, () => q.accept(orderCreate('17', 'burst', 4))),
    );
    assert.ok(
      reused.every((r) => r.kind === 'key_reused' && r.id === id),
      'another body: 422, every time',
    );
    assert.equal(await streamLengths(writes), 1);
    assert.equal(await q.depth(), 1);
  });

  test('accepts made in one turn of the event loop reach Redis as one script call each batch, at most ACCEPT_BATCH_MAX writes a call', async () => {
    const writes = settings();
    const q = queue(writes);
    await q.accept(orderCreate('17', null)); // the sequence and the script are in place
    const monitor = await redis.monitor();
    const callSizes: number[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() !== 'evalsha' || args[3] !== `${writes.redisKeyPrefix}:seq`) return;
      // evalsha, sha, numkeys, KEYS..., then six common arguments and five per write.
      callSizes.push((args.length - 3 - Number(args[2]) - 6) / 5);
    });
    try {
      const burst = 2 * ACCEPT_BATCH_MAX + 44;
      const results = await Promise.all(
        Array.from({ length: burst }, (_, i) => q.accept(orderCreate('17', i % 2 === 0 ? `b${i}` : null))),
      );
      assert.ok(results.every((r) => r.kind === 'accepted'));
      const ids = results.map((r) => (r.kind === 'accepted' ? r.id : 0));
      assert.equal(new Set(ids).size, burst, 'every write its own id');
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        'ids in the order accept() was called',
      );
      await eventually('the monitor saw every call', async () => callSizes.length >= 3);
      assert.deepEqual(callSizes, [ACCEPT_BATCH_MAX, ACCEPT_BATCH_MAX, 44]);
      assert.equal(await streamLengths(writes), burst + 1);
    } finally {
      monitor.disconnect();
    }
  });

  test('a write whose XADD fails ends its batch: the ones before it are queued and answered, it and the rest fail', async () => {
    const writes = settings({ partitions: 2 });
    const q = queue(writes);
    // Creates take the partitions in turn: 0, 1, 0, 1, 0.
    const first = await q.accept(orderCreate('17', null));
    await q.accept(orderCreate('17', null));
    assert.equal(first.kind, 'accepted');
    // Partition 1's stream now ends above the sequence: its next XADD is refused by Redis.
    await redis.xadd(`${writes.redisKeyPrefix}:1`, '99999999-0', 'w', '{}');
    const [before, failing, afterIt] = await Promise.allSettled([
      q.accept(orderCreate('17', 'before')),
      q.accept(orderCreate('17', 'failing')),
      q.accept(orderCreate('17', 'after')),
    ]);
    assert.equal(before.status, 'fulfilled');
    assert.equal(before.status === 'fulfilled' && before.value.kind, 'accepted');
    assert.equal(failing.status, 'rejected');
    assert.match(String(failing.status === 'rejected' && failing.reason), /XADD failed/);
    assert.equal(afterIt.status, 'rejected');
    assert.match(
      String(afterIt.status === 'rejected' && afterIt.reason),
      /earlier write of its batch failed/,
    );
    const entries = (await redis.xrange(`${writes.redisKeyPrefix}:0`, '-', '+')).map(([entry]) => entry);
    const beforeId = before.status === 'fulfilled' && before.value.kind === 'accepted' ? before.value.id : 0;
    assert.deepEqual(
      entries,
      [`${(first as { id: number }).id}-0`, `${beforeId}-0`],
      'the write after the failure is not queued',
    );
    // The queued write's key replays it; the failed ones' keys are free to retry.
    assert.deepEqual(await q.accept(orderCreate('17', 'before')), { kind: 'replayed', id: beforeId });
    assert.equal(await redis.exists(`${writes.redisKeyPrefix}:idem:2:17:failing`), 0);
    assert.equal(await redis.exists(`${writes.redisKeyPrefix}:idem:2:17:after`), 0);
  });

  test('per-partition order: the updates of one record reach the applier in the order they were accepted', async () => {
    const writes = settings();
    const q = queue(writes);
    const accepted: number[] = [];
    for (let i = 0; i < 40; i++) {
      const result = await q.accept(productUpdate('42', `${i}.00`));
      if (result.kind === 'accepted') accepted.push(result.id);
      await q.accept(orderCreate('17', null)); // creates spread over every partition meanwhile
    }
    const s = source(writes, 'order-a');
    const taken = await drain(s, 80);
    assert.equal(taken.length, 80);
    const updates = taken.filter((t) => t.write.recordId === '42').map((t) => t.write);
    assert.deepEqual(
      updates.map((w) => w.id),
      accepted,
    );
    assert.deepEqual(
      updates.map((w) => w.body?.price),
      Array.from({ length: 40 }, (_, i) => `${i}.00`),
    );
    assert.equal(new Set(updates.map((w) => w.partition)).size, 1, 'one record, one partition');
    assert.ok(
      taken.every((t) => t.deliveries === 1),
      'acknowledged batches are not delivered again',
    );
    assert.equal(await q.depth(), 0);
  });

  test('ack removes: nothing pending, the streams empty, depth 0, nothing delivered again', async () => {
    const writes = settings();
    const q = queue(writes);
    for (let i = 0; i < 10; i++) await q.accept(orderCreate('17', null));
    const s = source(writes, 'ack-a');
    const taken = await drain(s, 10, false);
    assert.equal(taken.length, 10);
    assert.ok(taken.every((t) => t.deliveries === 1));
    assert.equal(await q.depth(), 10, 'delivered is not acknowledged');
    await s.ack(taken.map((t) => t.write));
    assert.equal(await q.depth(), 0);
    assert.equal(await streamLengths(writes), 0);
    for (let p = 0; p < writes.partitions; p++) {
      const [count] = (await redis.xpending(`${writes.redisKeyPrefix}:${p}`, 'appliers')) as [number];
      assert.equal(count, 0);
    }
    assert.deepEqual(await s.next(100, 100), []);
  });

  test('a batch not acknowledged is delivered again by the next call, with its delivery count', async () => {
    const writes = settings();
    const q = queue(writes);
    for (let i = 0; i < 5; i++) await q.accept(orderCreate('17', null));
    const s = source(writes, 'retry-a');
    const first = await drain(s, 5, false);
    assert.equal(first.length, 5);
    const again = await s.next(100, 100);
    assert.deepEqual(
      again.map((t) => t.write.id).sort((a, b) => a - b),
      first.map((t) => t.write.id).sort((a, b) => a - b),
    );
    assert.ok(
      again.every((t) => t.deliveries >= 2),
      JSON.stringify(again.map((t) => t.deliveries)),
    );
    await s.ack(again.map((t) => t.write));
    assert.deepEqual(await s.next(100, 50), []);
  });

  test('redelivery after a restart: writes taken and not acknowledged go to the next applier', async () => {
    const writes = settings();
    const q = queue(writes);
    for (let i = 0; i < 8; i++) await q.accept(orderCreate('17', null));
    const a = openWriteSource(configWith(db.target, writes), db.orm, 'restart-a');
    const taken = await drain(a, 8, false);
    assert.equal(taken.length, 8);
    await a.close(); // stopped without acknowledging (e.g. its transaction failed, then it was restarted)
    const b = source(writes, 'restart-b');
    const again = await drain(b, 8);
    assert.deepEqual(
      again.map((t) => t.write.id).sort((x, y) => x - y),
      taken.map((t) => t.write.id).sort((x, y) => x - y),
    );
    assert.ok(again.every((t) => t.deliveries >= 2));
    assert.deepEqual(
      again.map((t) => t.write),
      again.map((t) => taken.find((x) => x.write.id === t.write.id)!.write),
      'the same writes, field for field',
    );
    assert.equal(await q.depth(), 0);
  });

  test('a killed applier: once its leases expire another takes its partitions and its pending writes', async () => {
    const writes = settings({ partitionLeaseMs: 800 });
    const q = queue(writes);
    const accepted: number[] = [];
    for (let i = 0; i < 12; i++) {
      const result = await q.accept(orderCreate('17', null));
      if (result.kind === 'accepted') accepted.push(result.id);
    }
    const fixture = fileURLToPath(new URL('./fixtures/take-and-hang.js', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        fixture,
        url,
        writes.redisKeyPrefix,
        String(writes.partitions),
        String(writes.partitionLeaseMs),
        'doomed',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const takenByDead = JSON.parse(line.toString()) as number[];
    assert.ok(takenByDead.length > 0);
    child.kill('SIGKILL');
    await once(child, 'exit');

    const survivor = source(writes, 'survivor');
    const started = Date.now();
    const taken = await drain(survivor, 12);
    assert.deepEqual(
      taken.map((t) => t.write.id).sort((x, y) => x - y),
      accepted,
      'every write, none lost, none twice',
    );
    for (const id of takenByDead) {
      const redelivered = taken.find((t) => t.write.id === id);
      assert.ok(redelivered, `write ${id} the dead applier held is delivered again`);
      assert.ok(redelivered.deliveries >= 2);
    }
    assert.ok(Date.now() - started < 10_000);
    assert.equal(await q.depth(), 0);
  });

  test('an applier whose lease rounds stall stops reading its partition before the lease runs out; the next holder reads it alone', async () => {
    // The applier's lease rounds go over its control connection (the one that sends the heartbeat's
    // ZADD); its reads over another. That one connection stalls: the rounds get no reply, reads do.
    const proxy = await StallingProxy.start(url, /zadd/i);
    const writes = settings({ partitions: 1, partitionLeaseMs: 600 });
    const q = queue(writes);
    const holder = async () => (await redis.get(`${writes.redisKeyPrefix}:lease:0`))?.split(':')[0];
    const a = source({ ...writes, redisUrl: proxy.url }, 'stalled-a');
    await a.next(10, 50);
    assert.equal(await holder(), 'stalled-a');
    proxy.stall();
    // A cannot renew: its lease runs out in Redis, and B takes the partition.
    const b = source(writes, 'next-b');
    // Closed first (closers run last to first): A's stalled commands then fail instead of waiting.
    closers.push(() => proxy.close());
    await eventually('B holds the partition', async () => {
      await b.next(10, 20);
      return (await holder()) === 'next-b';
    });
    const first = await q.accept(productUpdate('7', '1.00'));
    const second = await q.accept(productUpdate('7', '2.00'));
    const ids = [first, second].map((result) => (result.kind === 'accepted' ? result.id : 0));
    assert.deepEqual(
      await a.next(10, 200),
      [],
      'the applier that could not renew reads nothing of the partition: its lease is not known valid',
    );
    assert.deepEqual(
      (await drain(b, 2)).map((t) => t.write.id),
      ids,
      'the holder takes both writes of the record, in order',
    );
  });

  test('two appliers share the partitions, each partition held by one of them', async () => {
    const writes = settings({ partitionLeaseMs: 600 });
    const a = source(writes, 'share-a');
    await a.next(10, 50);
    const b = source(writes, 'share-b');
    const holders = async () => {
      const values = await Promise.all(
        Array.from({ length: writes.partitions }, (_, p) => redis.get(`${writes.redisKeyPrefix}:lease:${p}`)),
      );
      return values.map((v) => v?.split(':')[0]);
    };
    await eventually('each applier holds half the partitions', async () => {
      await Promise.all([a.next(10, 20), b.next(10, 20)]);
      const now = await holders();
      return (
        now.filter((h) => h === 'share-a').length === 2 && now.filter((h) => h === 'share-b').length === 2
      );
    });
    await a.close();
    await eventually('the one left takes every partition', async () => {
      await b.next(10, 20);
      return (await holders()).every((h) => h === 'share-b');
    });
  });

  test('an applier that joins gets its share from a busy one within batches, not at its next lease round', async () => {
    // Rounds come every third of the lease: 20 s here, longer than `eventually` waits, so the share
    // must move through the busy applier's acknowledgements and the new one's quick retries.
    const writes = settings({ partitionLeaseMs: 60_000 });
    const q = queue(writes);
    const a = source(writes, 'busy-a');
    const holders = async () => {
      const values = await Promise.all(
        Array.from({ length: writes.partitions }, (_, p) => redis.get(`${writes.redisKeyPrefix}:lease:${p}`)),
      );
      return values.map((v) => v?.split(':')[0]);
    };
    await a.next(10, 50);
    assert.deepEqual(await holders(), Array(writes.partitions).fill('busy-a'));
    const b = source(writes, 'joins-b');
    let n = 0;
    const applied = new Set<number>();
    await eventually('each applier holds half the partitions', async () => {
      // Writes keep coming to every partition, and both apply what they hold, acknowledging each batch.
      for (let i = 0; i < 8; i++) await q.accept(orderCreate(`busy-${n++}`, null, 1));
      for (const from of [a, b]) {
        const batch = await from.next(100, 20);
        await from.ack(batch.map((t) => t.write));
        for (const t of batch) applied.add(t.write.id);
      }
      const now = await holders();
      return (
        now.filter((h) => h === 'busy-a').length === 2 && now.filter((h) => h === 'joins-b').length === 2
      );
    });
    // Nothing was lost on the way: every write accepted is taken by one applier or the other.
    for (let taken = -1; taken !== 0;) {
      taken = 0;
      for (const from of [a, b]) {
        const batch = await from.next(100, 50);
        await from.ack(batch.map((t) => t.write));
        for (const t of batch) applied.add(t.write.id);
        taken += batch.length;
      }
    }
    assert.equal(applied.size, n);
  });

  test('ids never repeat: the sequence starts above the outcome rows and above the streams', async () => {
    const writes = settings();
    const knex = db.orm.em.getKnex();
    const dialect = db.target.dialect;
    const at = dialect === 'sqlite' ? Date.now() : new Date();
    await knex('writes').insert({
      id: 5000,
      subject: '17',
      collection: 'orders',
      op: 'create',
      record_id: '1',
      status: 'applied',
      http_status: 201,
      body: JSON.stringify({ lines: [] }),
      body_hash: 'x'.repeat(64),
      partition: 0,
      accepted_at: at,
      applied_at: at,
    });
    const q = queue(writes);
    const first = await q.accept(orderCreate('17', null));
    assert.deepEqual(first, { kind: 'accepted', id: 5001 });
    // The sequence key alone is lost (a stray DEL): the streams' last ids keep ids going up.
    await q.accept(orderCreate('17', null));
    await q.accept(orderCreate('17', null));
    await redis.del(`${writes.redisKeyPrefix}:seq`);
    const after = await q.accept(orderCreate('17', null));
    assert.ok(after.kind === 'accepted' && after.id > 5003, JSON.stringify(after));
  });
  test(
    'Redis lost its data (killed, no persistence): ids go on above the recorded outcomes, the applier recovers',
    {
      skip: !redisServerInstalled() && 'redis-server is not installed (a private one is killed here)',
    },
    async () => {
      const privateRedis = await startPrivateRedis();
      closers.push(() => privateRedis.destroy());
      const writes = settings({ redisUrl: privateRedis.url, partitionLeaseMs: 600 });
      const q = queue(writes);
      const s = source(writes, 'lost-a');
      for (let i = 0; i < 6; i++) await q.accept(orderCreate('17', `lost-${i}`));
      const taken = await drain(s, 6);
      assert.equal(taken.length, 6);
      // What the applier commits before its ack: an outcome row per write, under the queue's id.
      const knex = db.orm.em.getKnex();
      const at = db.target.dialect === 'sqlite' ? Date.now() : new Date();
      for (const { write } of taken)
        await knex('writes').insert({
          id: write.id,
          subject: write.subject,
          collection: write.collection,
          op: write.op,
          record_id: String(write.id),
          status: 'applied',
          http_status: 201,
          body: JSON.stringify(write.body),
          body_hash: write.bodyHash,
          partition: write.partition,
          accepted_at: at,
          applied_at: at,
        });
      const recorded = Math.max(...taken.map((t) => t.write.id));

      await privateRedis.kill();
      await privateRedis.start();
      let after: Awaited<ReturnType<WriteQueue['accept']>> | undefined;
      await eventually('accept works again once Redis is back', async () => {
        after = await q.accept(orderCreate('17', null)).catch(() => undefined);
        return after !== undefined;
      });
      assert.ok(
        after!.kind === 'accepted' && after!.id > recorded,
        `id ${JSON.stringify(after)} > ${recorded}`,
      );
      const id = after!.kind === 'accepted' ? after!.id : 0;
      const delivered: QueuedWrite[] = [];
      await eventually('the applier takes the new write from the new streams', async () => {
        const batch = await s.next(100, 100).catch(() => []);
        delivered.push(...batch);
        await s.ack(batch.map((t) => t.write)).catch(() => undefined);
        return delivered.some((t) => t.write.id === id);
      });
    },
  );

  describe(
    'a private Redis, reconfigured',
    {
      skip: !redisServerInstalled() && 'redis-server is not installed (a private one is reconfigured here)',
    },
    () => {
      /**
       * A queue on a Redis of its own. `policy` is set before the queue connects: the queue asks for it
       * when it connects, not before every write, so a change made after that is not seen at once.
       */
      async function privateQueue(
        policy?: string,
      ): Promise<{ q: WriteQueue; admin: Redis; writes: WritesConfig }> {
        const privateRedis = await startPrivateRedis();
        closers.push(() => privateRedis.destroy());
        const admin = new Redis(privateRedis.url);
        closers.push(async () => admin.disconnect());
        if (policy !== undefined) await admin.config('SET', 'maxmemory-policy', policy);
        const writes = settings({ redisUrl: privateRedis.url });
        return { q: queue(writes), admin, writes };
      }

      test('a Redis whose maxmemory-policy evicts keys is given no write; once it is noeviction, its next connection is', async () => {
        const { q, admin } = await privateQueue('volatile-lru');
        await assert.rejects(
          q.accept(orderCreate('17', 'evict-1')),
          /maxmemory-policy is volatile-lru: .*Idempotency-Keys.*maxmemory-policy noeviction/,
        );
        assert.deepEqual(await admin.keys('*'), [], 'nothing written: no sequence, no entry, no key');

        await admin.config('SET', 'maxmemory-policy', 'noeviction');
        await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
        let accepted: Awaited<ReturnType<WriteQueue['accept']>> | undefined;
        await eventually('accepted once the queue has reconnected', async () => {
          accepted = await q.accept(orderCreate('17', 'evict-1')).catch(() => undefined);
          return accepted !== undefined;
        });
        assert.equal(accepted!.kind, 'accepted');
        assert.deepEqual(await q.accept(orderCreate('17', 'evict-1')), {
          kind: 'replayed',
          id: (accepted as { id: number }).id,
        });
      });

      test('a full Redis (noeviction) refuses a write whole: nothing queued, its key free; with room again the retry is queued once', async () => {
        const { q, admin, writes } = await privateQueue();
        const first = await q.accept(orderCreate('17', 'room-1'));
        assert.equal(first.kind, 'accepted');
        const sequence = await admin.get(`${writes.redisKeyPrefix}:seq`);
        // Below what it already holds: every write command is refused (OOM), reads still answer.
        await admin.config('SET', 'maxmemory', '1');
        await assert.rejects(q.accept(orderCreate('17', 'full-1')), /OOM/);
        assert.equal(await admin.get(`${writes.redisKeyPrefix}:seq`), sequence, 'no id given out');
        assert.equal(await streamLengths(writes, admin), 1, 'only the write from before');
        assert.equal(await admin.exists(`${writes.redisKeyPrefix}:idem:2:17:full-1`), 0);

        await admin.config('SET', 'maxmemory', '0');
        const retried = await q.accept(orderCreate('17', 'full-1'));
        assert.deepEqual(retried, { kind: 'accepted', id: Number(sequence) + 1 });
        assert.deepEqual(
          await q.accept(orderCreate('17', 'full-1')),
          retried.kind === 'accepted' && { kind: 'replayed', id: retried.id },
        );
        assert.equal(await streamLengths(writes, admin), 2);
      });
    },
  );
  test(
    'the queue says at start-up when its Redis could lose a write it answered 202 (no append-only file, or not synced per write)',
    { skip: !redisServerInstalled() && 'redis-server is not installed (private ones are started here)' },
    async () => {
      const volatileRedis = await startPrivateRedis();
      closers.push(() => volatileRedis.destroy());
      const durableRedis = await startPrivateRedis({ durable: true });
      closers.push(() => durableRedis.destroy());

      const onVolatile = queue(settings({ redisUrl: volatileRedis.url }));
      assert.match(
        (await onVolatile.durabilityWarning?.()) ?? '',
        /no append-only file \(appendonly no\).*restart loses them.*appendonly yes and appendfsync always/,
      );
      const onDurable = queue(settings({ redisUrl: durableRedis.url }));
      assert.equal(await onDurable.durabilityWarning?.(), undefined, 'appendonly yes, appendfsync always');

      // The same server synced once a second (Redis's default) loses the last second with its machine.
      const admin = new Redis(durableRedis.url);
      closers.push(async () => admin.disconnect());
      await admin.config('SET', 'appendfsync', 'everysec');
      assert.match(
        (await onDurable.durabilityWarning?.()) ?? '',
        /once a second \(appendfsync everysec\).*Set appendfsync always/,
      );
    },
  );
});
