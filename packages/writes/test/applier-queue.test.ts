import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WritesConfig } from '@tandem/config';
import { AuditEntry, Order, Write, openOrm, type Orm } from '@tandem/models';
import {
  createMigratedDatabase,
  eventually,
  testDialect,
  type MigratedTestDatabase,
} from '@tandem/models/testing';
import {
  Applier,
  BatchApplier,
  WRITE_HANDLERS,
  openWriteQueue,
  ordersHandler,
  openWriteSource,
  type WriteHandler,
  type WriteQueue,
  type WriteRequest,
} from '../src/index.js';
import { createProducts, createUsers, quietLogger, stockOf } from './applier-support.js';
import { REDIS_URL, configWith, dropKeys, writesConfig } from './support.js';

type NewWrite = Omit<WriteRequest, 'id' | 'partition'>;

/**
 * 10,000 orders on SQLite; 2,000 on PostgreSQL, where the sale through HTTP with 10,000 orders (fast,
 * Redis, appliers as processes) is e2e/test/writes-failures.test.ts's, and CI's time is bounded.
 * Either way the stock is 100: far fewer winners than buyers, contended by three appliers.
 */
const FLASH_SALE_ORDERS = testDialect() === 'sqlite' ? 10_000 : 2_000;
const FLASH_SALE_STOCK = 100;
const APPLIERS = 3;

/**
 * The applier behind the real queue, as `tandem applier` runs it: several appliers, each with its own
 * database connection and queue consumer, on the suite's database (SQLite, or PostgreSQL with
 * DATABASE_URL), with the table queue and, when REDIS_URL is set, the Redis Streams queue.
 */
for (const kind of ['table', 'redis'] as const) {
  describe(
    `applier behind the ${kind} queue (${testDialect()})`,
    {
      skip:
        kind === 'redis' && !REDIS_URL ? 'REDIS_URL is not set: the Redis queue needs a real Redis' : false,
    },
    () => {
      let db: MigratedTestDatabase;
      let settings: WritesConfig;
      let queue: WriteQueue;
      let users: string[];
      const cleanups: (() => Promise<void>)[] = [];

      before(async () => {
        db = await createMigratedDatabase();
        settings = writesConfig({
          redisUrl: kind === 'redis' ? REDIS_URL : undefined,
          maxQueueDepth: FLASH_SALE_ORDERS * 2,
        });
        queue = openWriteQueue(configWith(db.target, settings), db.orm);
        users = await createUsers(db, 40, `${kind}-buyer`);
      });
      after(async () => {
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
        await queue.close();
        if (kind === 'redis') await dropKeys(REDIS_URL!, settings.redisKeyPrefix);
        await db.close();
      });

      /** An applier process's parts: its own ORM (connection) and queue consumer. */
      async function startApplier(
        name: string,
        handlers?: ReadonlyMap<string, WriteHandler>,
      ): Promise<{ applier: Applier; stop: () => Promise<void> }> {
        const orm: Orm = await openOrm(db.target);
        const source = openWriteSource(configWith(db.target, settings), orm, name);
        const applier = new Applier({
          orm,
          dialect: db.target.dialect,
          source,
          logger: quietLogger,
          batchSize: settings.batchSize,
          pollMs: 100,
          ...(handlers ? { handlers } : {}),
        });
        void applier.start();
        let stopped = false;
        const stop = async () => {
          if (stopped) return;
          stopped = true;
          await applier.stop();
          await source.close();
          await orm.close(true);
        };
        cleanups.push(stop);
        return { applier, stop };
      }

      function order(user: string, productId: number, quantity = 1): NewWrite {
        const body = { lines: [{ productId, quantity }] };
        return {
          collection: 'orders',
          op: 'create',
          recordId: null,
          body,
          subject: user,
          ownerKey: user,
          sessionId: null,
          ifMatch: null,
          idempotencyKey: null,
          bodyHash: 'a'.repeat(64),
          acceptedAt: Date.now(),
        };
      }

      async function accept(write: NewWrite): Promise<number> {
        const result = await queue.accept(write);
        assert.equal(result.kind, 'accepted');
        return (result as { id: number }).id;
      }

      const settled = (ids: readonly number[]) =>
        db.orm.em.fork().count(Write, { id: { $in: [...ids] }, status: { $ne: 'queued' } });

      test('a batch committed but not acknowledged (its applier died) is delivered again and skipped: one effect', async () => {
        const [product] = await createProducts(db, [{ stock: 10 }]);
        const id = await accept(order(users[0]!, product!, 2));
        // The first applier takes the write, commits its outcome, and dies before acknowledging it.
        const orm = await openOrm(db.target);
        const doomed = openWriteSource(configWith(db.target, settings), orm, 'doomed');
        let taken: WriteRequest[] = [];
        await eventually('the write is delivered', async () => {
          taken = (await doomed.next(10, 200)).map((entry) => entry.write);
          return taken.some((write) => write.id === id);
        });
        const first = await new BatchApplier(orm, db.target.dialect, WRITE_HANDLERS).apply(taken);
        assert.equal(first.applied, 1);
        await doomed.close();
        await orm.close(true);

        const { applier, stop } = await startApplier('survivor');
        if (kind === 'redis')
          await eventually(
            'the survivor took the pending entry over and skipped it',
            () => applier.stats.skipped >= 1,
          );
        else await new Promise((resolve) => setTimeout(resolve, 500));
        await stop();
        assert.equal(applier.stats.applied, 0, 'nothing applied twice');
        assert.equal(await stockOf(db, product!), 8, 'stock taken once');
        const orders = await db.orm.em.fork().find(Order, { user: Number(users[0]) });
        assert.equal(orders.filter((placed) => placed.lines[0]!.productId === product).length, 1);
      });

      test('a write that fails its batch every time (a handler bug) is split out and rejected alone; the rest of the batch is applied', async () => {
        const [product] = await createProducts(db, [{ stock: 50 }]);
        // A real handler with a bug for one input: quantity 13 throws a TypeError, as a bug would, in
        // the bulk path (whose run is then redone write by write) and in the per-write path.
        const buggyFor = (write: WriteRequest) =>
          (write.body?.lines as { quantity: number }[] | undefined)?.[0]?.quantity === 13;
        const orders = ordersHandler();
        const buggy: WriteHandler = {
          ...orders,
          async applyRun(run) {
            if (run.writes.some(buggyFor)) throw new TypeError('a bug for quantity 13');
            return orders.applyRun!(run);
          },
          async apply(context) {
            if (buggyFor(context.write)) throw new TypeError('a bug for quantity 13');
            return orders.apply(context);
          },
        };
        const ids: number[] = [];
        for (const quantity of [1, 13, 2]) ids.push(await accept(order(users[3]!, product!, quantity)));
        const { applier, stop } = await startApplier(
          'buggy',
          new Map([...WRITE_HANDLERS, ['orders', buggy]]),
        );
        await eventually(
          'every write has an outcome',
          async () => (await settled(ids)) === ids.length,
          60_000,
        );
        await stop();
        const rows = await db.orm.em.fork().find(Write, { id: { $in: ids } }, { orderBy: { id: 'asc' } });
        assert.deepEqual(
          rows.map((row) => [row.status, row.httpStatus]),
          [
            ['applied', 201],
            ['rejected', 422],
            ['applied', 201],
          ],
        );
        assert.match(rows[1]!.errors!._!, /could not be applied/);
        assert.equal(await stockOf(db, product!), 47, 'the other two took their stock once');
        assert.ok(applier.stats.retries >= 5, `retried before giving up (${applier.stats.retries})`);
      });

      test('an order priced past orders.total_cents when applied is rejected alone with its reason: no batch fails, nothing waits for retries', async () => {
        // The attack: orders accepted (at the prices the edge served, or queued without it) that come
        // to more than 2^31 - 1 cents when applied. On PostgreSQL each failed its batch (22003), which
        // was retried with backoff, split, and tried five more times per write while the partition's
        // other writes waited. Now the applier refuses it like any other invalid order.
        const [dear, cheap] = await createProducts(db, [
          { stock: 10_000, priceCents: 250_000 },
          { stock: 100, priceCents: 500 },
        ]);
        const ids: number[] = [];
        for (const [user, product, quantity] of [
          [users[5]!, cheap!, 1],
          [users[5]!, dear!, 9000],
          [users[6]!, cheap!, 2],
          [users[5]!, dear!, 9000],
          [users[5]!, cheap!, 3],
        ] as const)
          ids.push(await accept(order(user, product, quantity)));
        const { applier, stop } = await startApplier(`overflow-${kind}`);
        await eventually(
          'every write has an outcome',
          async () => (await settled(ids)) === ids.length,
          30_000,
        );
        await stop();
        const rows = await db.orm.em.fork().find(Write, { id: { $in: ids } }, { orderBy: { id: 'asc' } });
        assert.deepEqual(
          rows.map((row) => [row.status, row.httpStatus]),
          [
            ['applied', 201],
            ['rejected', 422],
            ['applied', 201],
            ['rejected', 422],
            ['applied', 201],
          ],
        );
        for (const refused of [rows[1]!, rows[3]!])
          assert.match(refused.errors!.lines!, /comes to more than an order may total \(2147483647 cents\)/);
        assert.equal(applier.stats.retries, 0, 'no batch failed: none was retried, split or given up');
        assert.deepEqual([applier.stats.applied, applier.stats.rejected], [3, 2]);
        assert.deepEqual([await stockOf(db, dear!), await stockOf(db, cheap!)], [10_000, 94]);
      });

      test(`flash sale: ${FLASH_SALE_ORDERS} orders of one product with stock ${FLASH_SALE_STOCK}, ${APPLIERS} appliers: exactly ${FLASH_SALE_STOCK} applied, stock 0, the rest rejected as out of stock`, async () => {
        const [product] = await createProducts(db, [{ stock: FLASH_SALE_STOCK, priceCents: 500 }]);
        const appliers = await Promise.all(
          Array.from({ length: APPLIERS }, (_, index) => startApplier(`flash-${kind}-${index}`)),
        );
        // Accepted while the appliers run, many at once, as the fast service would under a rush.
        const ids: number[] = [];
        for (let start = 0; start < FLASH_SALE_ORDERS; start += 250) {
          const chunk = Array.from({ length: Math.min(250, FLASH_SALE_ORDERS - start) }, (_, offset) =>
            order(users[(start + offset) % users.length]!, product!),
          );
          ids.push(...(await Promise.all(chunk.map(accept))));
        }
        assert.equal(new Set(ids).size, FLASH_SALE_ORDERS);
        await eventually(
          'every write has an outcome',
          async () => (await settled(ids)) === FLASH_SALE_ORDERS,
          600_000,
        );
        await Promise.all(appliers.map(({ stop }) => stop()));

        const em = db.orm.em.fork();
        const outcomes = await em.find(Write, { id: { $in: ids } });
        const applied = outcomes.filter((outcome) => outcome.status === 'applied');
        const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
        assert.equal(applied.length, FLASH_SALE_STOCK, 'exactly the stock is sold');
        assert.equal(rejected.length, FLASH_SALE_ORDERS - FLASH_SALE_STOCK);
        assert.ok(applied.every((outcome) => outcome.httpStatus === 201));
        assert.ok(
          rejected.every(
            (outcome) =>
              outcome.httpStatus === 422 && outcome.errors?.lines === `Product ${product} is out of stock.`,
          ),
          'every other order is rejected as out of stock',
        );
        assert.equal(await stockOf(db, product!), 0, 'never oversold');
        const orderIds = applied.map((outcome) => Number(outcome.recordId));
        const orders = await em.find(Order, { id: { $in: orderIds } });
        assert.equal(orders.length, FLASH_SALE_STOCK);
        assert.equal(
          orders.reduce((sum, placed) => sum + placed.lines[0]!.quantity, 0),
          FLASH_SALE_STOCK,
        );
        assert.equal(
          await em.count(AuditEntry, { model: 'Order', recordId: { $in: orderIds.map(String) } }),
          FLASH_SALE_STOCK,
          'one audit entry per order',
        );
        const total = appliers.reduce(
          (sum, { applier }) => ({
            applied: sum.applied + applier.stats.applied,
            rejected: sum.rejected + applier.stats.rejected,
          }),
          { applied: 0, rejected: 0 },
        );
        assert.deepEqual(total, {
          applied: FLASH_SALE_STOCK,
          rejected: FLASH_SALE_ORDERS - FLASH_SALE_STOCK,
        });
        if (kind === 'redis' || db.target.dialect === 'postgresql')
          assert.ok(
            appliers.filter(({ applier }) => applier.stats.batches > 0).length >= 2,
            'the partitions were shared among the appliers',
          );
      });
    },
  );
}
