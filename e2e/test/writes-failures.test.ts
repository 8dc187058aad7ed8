/**
 * The write path under failure (issue 15, item 8), with real processes: auth, fast and `tandem applier`
 * as child processes, real PostgreSQL, real Redis Streams. After each failure every accepted write (a
 * 202) is applied or rejected exactly once and none is lost, checked in the database itself
 * (support/writes-ledger.ts: one outcome row per write, one order and one audit entry per applied
 * write, stock down by exactly the applied quantities):
 *   - kill -9 of the applier in the middle of draining the queue (another applier takes over);
 *   - every database connection terminated (pg_terminate_backend) while writes stream in;
 *   - duplicate deliveries: a client's concurrent and late retries with one Idempotency-Key, and queue
 *     entries whose outcome was committed but never acknowledged (the applier lost XACK, then died),
 *     delivered again to another applier;
 *   - the fast service killed with writes queued and in flight, started again (clients retry with
 *     their Idempotency-Keys);
 *   - Redis killed (-9) and restarted under load;
 *   - the flash sale: 10,000 concurrent orders of one product with stock 100 → exactly 100 applied.
 *
 * Redis: a private `redis-server` this file starts (append-only file, fsync on every write: the
 * durability a queue that answers 202 needs) so that it can be killed and restarted, and its users
 * changed, without disturbing the suites that share REDIS_URL's server. Without the redis-server binary
 * the file runs on REDIS_URL (own key prefix) and skips the two cases that need a private server.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  createTestDatabase,
  eventually,
  redisServerInstalled,
  startPrivateRedis,
  testDialect,
  type PrivateRedis,
  type TestDatabase,
} from '@tandem/models/testing';
import { tandem } from '../bench/catalog.js';
import { E2E_SECRET_KEY } from '../support/admin-process.js';
import type { ServiceProcess } from '../support/service-process.js';
import {
  assertBalanced,
  markLedger,
  outcomeCount,
  outcomesSince,
  waitForOutcomes,
  type AcceptedWrite,
  type Sql,
} from '../support/writes-ledger.js';
import { describeRefused, sendOrders } from '../support/writes-sender.js';
import {
  orderBody,
  postOrder,
  seedWriters,
  startApplier,
  startWritesAuth,
  startWritesFast,
  stopCommand,
  writePathEnv,
  writerTokens,
  type Writer,
} from '../support/writes-stack.js';

const REDIS_URL = process.env.REDIS_URL;
const skip =
  testDialect() !== 'postgresql'
    ? 'DATABASE_URL does not name a PostgreSQL server: the write path failure tests run on real PostgreSQL and Redis'
    : !REDIS_URL
      ? 'REDIS_URL is not set: the write path failure tests run on real PostgreSQL and Redis'
      : false;
const needsPrivateRedis = redisServerInstalled()
  ? false
  : 'redis-server is not installed: killing Redis and taking XACK away from an applier need a private server (REDIS_URL serves other suites)';

const PRODUCTS = 100;
const USERS = 20;
const STOCK = 1_000_000;
/** Short leases: a killed applier's partitions are taken over after 1 s instead of 10. */
const LEASE_MS = '1000';

/** A line of order i: one of the hot products, 1–3 of it. */
const lineOf = (i: number): [number, number][] => [[1 + (i % PRODUCTS), 1 + (i % 3)]];

describe(
  'the write path under failure: every accepted write applied or rejected exactly once',
  { skip },
  () => {
    let database: TestDatabase;
    let client: pg.Client;
    let privateRedis: PrivateRedis | undefined;
    let queueRedis: Redis;
    let redisUrl = '';
    const prefix = `tandem-e2e-writes-${randomBytes(6).toString('hex')}`;
    let env: Record<string, string> = {};
    let auth: ServiceProcess;
    let fast: ServiceProcess;
    let writers: Writer[] = [];
    const appliers = new Set<ServiceProcess>();
    /** Every process the file started, killed ones included: their logs are printed when a test fails. */
    const everStarted: ServiceProcess[] = [];
    const withLogs = async (fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (error) {
        for (const service of everStarted)
          process.stdout.write(`# ${service.name} log:\n${service.logs().replace(/^/gm, '#   ')}\n`);
        throw error;
      }
    };
    const started = <T extends ServiceProcess>(service: T): T => {
      everStarted.push(service);
      return service;
    };

    /** The test's own connection (never terminated by the tests' pg_terminate_backend), `?` placeholders. */
    const sql: Sql = async (query, params = []) => {
      let n = 0;
      return (
        await client.query(
          query.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows as Record<string, unknown>[];
    };
    const writer = (i: number) => writers[i % writers.length]!;
    const applier = async (name: string, extra: Record<string, string> = {}) => {
      const running = started(await startApplier(name, { ...env, ...extra }));
      appliers.add(running);
      return running;
    };
    const stopAppliers = async () => {
      for (const running of appliers) await stopCommand(running);
      appliers.clear();
    };
    const killApplier = async (running: ServiceProcess) => {
      await running.stop('SIGKILL');
      appliers.delete(running);
    };
    /** Writes delivered to an applier and not acknowledged, over every partition: their write ids. */
    const pendingWriteIds = async (): Promise<number[]> => {
      const ids: number[] = [];
      for (const key of await queueRedis.keys(`${prefix}:[0-9]*`)) {
        const entries = (await queueRedis.xpending(key, 'appliers', '-', '+', 10_000).catch(() => [])) as [
          string,
          string,
          number,
          number,
        ][];
        ids.push(...entries.map(([entry]) => Number(entry.slice(0, entry.indexOf('-')))));
      }
      return ids;
    };
    const appliedOrderVisible = async (write: AcceptedWrite, recordId: string) => {
      const owner = writers.find((w) => w.subject === write.subject)!;
      const response = await fetch(`${fast.url}/v1/orders/${recordId}`, {
        headers: { authorization: `Bearer ${owner.token}` },
      });
      await response.arrayBuffer();
      return response.status === 200;
    };

    before(async () => {
      if (redisServerInstalled()) {
        privateRedis = await startPrivateRedis({ durable: true });
        redisUrl = privateRedis.url;
      } else redisUrl = REDIS_URL!;
      queueRedis = new Redis(redisUrl, { maxRetriesPerRequest: null });
      queueRedis.on('error', () => undefined); // the Redis restart case drops it on purpose
      database = await createTestDatabase();
      client = new pg.Client({ connectionString: database.url });
      const base = { DATABASE_URL: database.url, TANDEM_SECRET_KEY: E2E_SECRET_KEY, LOG_LEVEL: 'warn' };
      await tandem(['migrate'], base);
      await client.connect();
      client.on('error', () => undefined);
      const seeded = await seedWriters(base, sql, { products: PRODUCTS, users: USERS, stock: STOCK });
      auth = started(await startWritesAuth(base));
      writers = await writerTokens(auth.url, seeded.emails);
      env = {
        ...base,
        ...writePathEnv({
          redisUrl,
          redisPrefix: prefix,
          extra: { WRITE_PARTITION_LEASE_MS: LEASE_MS, WRITE_QUEUE_MAX_DEPTH: '1000000' },
        }),
      };
      fast = started(await startWritesFast(env, auth.url));
    });

    after(async () => {
      for (const running of appliers) await stopCommand(running);
      await fast?.stop();
      await auth?.stop();
      await client?.end().catch(() => undefined);
      await database?.drop();
      if (privateRedis) {
        queueRedis?.disconnect();
        await privateRedis.destroy();
      } else if (queueRedis) {
        const keys = await queueRedis.keys(`${prefix}:*`);
        if (keys.length > 0) await queueRedis.unlink(...keys);
        queueRedis.disconnect();
      }
    });

    it('kill -9 of the applier while it drains the queue: another applier applies the rest, nothing twice', () =>
      withLogs(async () => {
        const mark = await markLedger(sql);
        const sent = await sendOrders({
          count: 1500,
          concurrency: 64,
          fastUrl: () => fast.url,
          writer,
          lines: lineOf,
        });
        assert.equal(
          sent.accepted.length,
          1500,
          `every order was accepted (refused: ${describeRefused(sent)})`,
        );

        const first = await applier('applier-a');
        await eventually(
          'applier a commits its first batch',
          async () => (await outcomeCount(sql, mark)) > 0,
          30_000,
        );
        await killApplier(first); // most likely inside its next batch's transaction
        const appliedAtKill = await outcomeCount(sql, mark);
        assert.ok(appliedAtKill < 1500, `killed before it had applied everything (${appliedAtKill} applied)`);

        await applier('applier-b');
        await waitForOutcomes(
          sql,
          mark,
          sent.accepted.map((w) => w.writeId),
        );
        const balance = await assertBalanced(sql, mark, sent.accepted);
        assert.equal(balance.applied, 1500, 'with ample stock every order is applied');
      }));

    it('every database connection terminated while writes stream in: none lost, none twice', () =>
      withLogs(async () => {
        await applier('applier-c'); // two appliers (b and c) share the partitions
        const mark = await markLedger(sql);
        let terminated = 0;
        const sending = sendOrders({
          count: 1000,
          concurrency: 32,
          fastUrl: () => fast.url,
          writer,
          lines: lineOf,
          retryForMs: 30_000,
        });
        for (let round = 0; round < 4; round++) {
          await sleep(250);
          const rows = await sql(
            `select pg_terminate_backend(pid) as done from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`,
          );
          terminated += rows.filter((row) => row.done === true).length;
        }
        const sent = await sending;
        assert.ok(terminated >= 4, `connections were terminated (${terminated})`);
        assert.equal(
          sent.accepted.length,
          1000,
          `every order was accepted (refused: ${describeRefused(sent)})`,
        );

        const outcomes = await waitForOutcomes(
          sql,
          mark,
          sent.accepted.map((w) => w.writeId),
        );
        await assertBalanced(sql, mark, sent.accepted);
        // Fast's change feed reconnected too: the last order reaches its owner through GET.
        const last = sent.accepted.at(-1)!;
        await eventually('fast serves the last applied order after its feed reconnected', () =>
          appliedOrderVisible(last, outcomes.get(last.writeId)!.recordId!),
        );
      }));

    it('a client retrying with its Idempotency-Key, at once and after the write was applied, makes one write', () =>
      withLogs(async () => {
        const mark = await markLedger(sql);
        const accepted: AcceptedWrite[] = [];
        for (let i = 0; i < 20; i++) {
          const w = writer(i);
          const lines = lineOf(i);
          const headers = { 'idempotency-key': `retry-${prefix}-${i}` };
          const answers = await Promise.all(
            Array.from({ length: 5 }, () => postOrder(fast.url, w.token, orderBody(lines), headers)),
          );
          for (const answer of answers) assert.equal(answer.status, 202, answer.body);
          const ids = new Set(answers.map((answer) => answer.writeId));
          assert.equal(
            ids.size,
            1,
            `five concurrent sends with one key name one write (${[...ids].join(', ')})`,
          );
          accepted.push({ writeId: answers[0]!.writeId!, subject: w.subject, lines });
        }
        await waitForOutcomes(
          sql,
          mark,
          accepted.map((w) => w.writeId),
        );
        for (const [i, write] of accepted.entries()) {
          const w = writer(i);
          const headers = { 'idempotency-key': `retry-${prefix}-${i}` };
          const late = await postOrder(fast.url, w.token, orderBody(lineOf(i)), headers);
          assert.ok(
            late.status >= 200 && late.status < 300,
            `a retry after the write was applied: ${late.status} ${late.body}`,
          );
          if (late.status === 202)
            assert.equal(late.writeId, write.writeId, 'the retry names the same write');
          const other = await postOrder(fast.url, w.token, orderBody([[1, 99]]), headers);
          assert.equal(other.status, 422, `the same key with another body is refused: ${other.body}`);
        }
        await sleep(500); // a wrongly queued retry would be applied by now
        await assertBalanced(sql, mark, accepted);
      }));

    it(
      'entries committed but never acknowledged (the applier lost XACK, then was killed) are delivered again and not applied twice',
      { skip: needsPrivateRedis },
      () =>
        withLogs(async () => {
          await stopAppliers();
          // An applier whose Redis user may do everything but XACK: it commits, then cannot acknowledge.
          await queueRedis.call(
            'ACL',
            'SETUSER',
            'no-ack',
            'on',
            '>no-ack-password',
            '~*',
            '&*',
            '+@all',
            '-xack',
          );
          const url = new URL(redisUrl);
          url.username = 'no-ack';
          url.password = 'no-ack-password';
          const mark = await markLedger(sql);
          const sent = await sendOrders({
            count: 500,
            concurrency: 32,
            fastUrl: () => fast.url,
            writer,
            lines: lineOf,
          });
          assert.equal(
            sent.accepted.length,
            500,
            `every order was accepted (refused: ${describeRefused(sent)})`,
          );
          const lostAck = await applier('applier-no-ack', { REDIS_URL: url.toString() });
          let committedUnacked: number[] = [];
          await eventually(
            'the applier has committed outcomes it could not acknowledge',
            async () => {
              const outcomes = await outcomesSince(sql, mark);
              committedUnacked = (await pendingWriteIds()).filter((id) => outcomes.has(id));
              return committedUnacked.length > 0;
            },
            30_000,
          );
          await killApplier(lostAck);

          await applier('applier-d'); // takes the partitions over once the dead one's leases run out
          await waitForOutcomes(
            sql,
            mark,
            sent.accepted.map((w) => w.writeId),
          );
          await eventually(
            'every delivered entry is acknowledged, the redelivered ones included',
            async () => (await pendingWriteIds()).length === 0,
            30_000,
          );
          const balance = await assertBalanced(sql, mark, sent.accepted);
          assert.equal(balance.applied, 500);
          await queueRedis.call('ACL', 'DELUSER', 'no-ack');
        }),
    );

    it('fast killed with writes queued and in flight, then started again: clients retry with their keys; none lost, none twice', () =>
      withLogs(async () => {
        await stopAppliers(); // the writes stay queued while fast goes away
        const mark = await markLedger(sql);
        let killed = false;
        const sending = sendOrders({
          count: 1000,
          concurrency: 32,
          fastUrl: () => fast.url,
          writer,
          lines: lineOf,
          retryForMs: 60_000,
          onAccepted: (n) => {
            if (n === 300 && !killed) {
              killed = true;
              fast.child.kill('SIGKILL');
            }
          },
        });
        await eventually('fast was killed under load', () => killed, 60_000);
        await fast.stop();
        fast = started(await startWritesFast(env, auth.url));
        const sent = await sending;
        assert.equal(
          sent.accepted.length,
          1000,
          `every order was accepted in the end (${describeRefused(sent)})`,
        );

        // Still queued: the new fast node answers for a write the old one accepted.
        const early = sent.accepted[0]!;
        const owner = writers.find((w) => w.subject === early.subject)!;
        const queued = await fetch(`${fast.url}/v1/writes/${early.writeId}`, {
          headers: { authorization: `Bearer ${owner.token}` },
        });
        assert.equal(queued.status, 200);
        assert.equal(((await queued.json()) as { status?: string }).status, 'queued');

        await applier('applier-e');
        await waitForOutcomes(
          sql,
          mark,
          sent.accepted.map((w) => w.writeId),
        );
        await assertBalanced(sql, mark, sent.accepted);
        await eventually('GET /v1/writes/{id} tells the writer the outcome', async () => {
          const response = await fetch(`${fast.url}/v1/writes/${early.writeId}`, {
            headers: { authorization: `Bearer ${owner.token}` },
          });
          return ((await response.json()) as { status?: string }).status === 'applied';
        });
      }));

    it(
      'Redis killed (-9) and restarted under load: none lost; a 202 is one write, with or without an Idempotency-Key',
      { skip: needsPrivateRedis },
      () =>
        withLogs(async () => {
          if (appliers.size === 0) await applier('applier-f');
          const mark = await markLedger(sql);
          let killed: Promise<void> | undefined;
          const killAt = (n: number) => {
            if (n === 300 && !killed)
              killed = (async () => {
                await privateRedis!.kill('SIGKILL');
                await sleep(1000);
                await privateRedis!.start();
              })();
          };
          // Careful clients (a key each, sent again until answered) and careless ones (no key, sent once):
          // a write Redis ran whose answer was lost in the crash must not be queued twice by a resend.
          const [keyed, keyless] = await Promise.all([
            sendOrders({
              count: 600,
              concurrency: 12,
              fastUrl: () => fast.url,
              writer,
              lines: lineOf,
              retryForMs: 60_000,
              onAccepted: killAt,
            }),
            sendOrders({ count: 600, concurrency: 12, fastUrl: () => fast.url, writer, lines: lineOf }),
          ]);
          assert.ok(killed, 'Redis was killed under load');
          await killed;
          assert.equal(
            keyed.accepted.length,
            600,
            `every keyed order was accepted in the end (${describeRefused(keyed)})`,
          );
          const accepted = [...keyed.accepted, ...keyless.accepted];
          await waitForOutcomes(
            sql,
            mark,
            accepted.map((w) => w.writeId),
          );
          // A keyless request refused or cut off while Redis was down may still have been queued: at most once.
          const uncertain = keyless.unanswered + [...keyless.refused.values()].reduce((sum, n) => sum + n, 0);
          await assertBalanced(sql, mark, accepted, uncertain);
        }),
    );

    it('flash sale: 10,000 concurrent orders of a product with stock 100 → exactly 100 applied, 9,900 rejected', () =>
      withLogs(async () => {
        while (appliers.size < 2) await applier(`applier-flash-${appliers.size}`);
        const product = PRODUCTS; // the last hot product
        await sql('update products set stock = 100 where id = ?', [product]);
        const mark = await markLedger(sql);
        const sent = await sendOrders({
          count: 10_000,
          concurrency: 200,
          fastUrl: () => fast.url,
          writer,
          lines: () => [[product, 1]],
        });
        assert.equal(
          sent.accepted.length,
          10_000,
          `every order was accepted (refused: ${describeRefused(sent)})`,
        );
        const outcomes = await waitForOutcomes(
          sql,
          mark,
          sent.accepted.map((w) => w.writeId),
          120_000,
        );
        const balance = await assertBalanced(sql, mark, sent.accepted);
        assert.equal(balance.applied, 100, 'exactly the stock was sold');
        assert.equal(balance.rejected, 9900);
        for (const row of outcomes.values())
          if (row.status === 'rejected')
            assert.equal(row.httpStatus, 422, `write ${row.id}: out of stock is a 422`);
        const [left] = await sql('select stock from products where id = ?', [product]);
        assert.equal(Number(left!.stock), 0, 'never oversold');
      }));
  },
);
