import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '@tandem/config';
import { Category, Order, Product, User, Write, openOrm, type Orm } from '@tandem/models';
import { createTestDatabase, eventually, type TestDatabase } from '@tandem/models/testing';
import { openWriteQueue, type WriteQueue } from '@tandem/writes';
import { forkUntilReady, tandem } from './helpers.js';

let db: TestDatabase;
let orm: Orm;
let queue: WriteQueue;
let applier: ChildProcess | undefined;
/** The table queue (no REDIS_URL): the command is the same whatever the queue; the queue has its own suites. */
let env: NodeJS.ProcessEnv;

before(async () => {
  db = await createTestDatabase();
  env = { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
  delete env.REDIS_URL;
  delete env.FEED;
  const migrated = await tandem(['migrate'], env);
  assert.equal(migrated.code, 0, migrated.stderr);
  orm = await openOrm(db.target);
  queue = openWriteQueue(loadConfig(env), orm);
});
after(async () => {
  applier?.kill('SIGKILL');
  await queue?.close();
  await orm?.close(true);
  await db?.drop();
});

let serial = 0;

/** A buyer and a published product with `stock` units. */
async function buyerAndProduct(name: string, stock: number): Promise<{ subject: string; product: Product }> {
  const em = orm.em.fork();
  const tag = `${name}-${Date.now()}-${++serial}`;
  const user = em.create(User, { email: `applier-${tag}@example.com`, passwordHash: 'not-a-hash' });
  const category = em.create(Category, { name: `Category ${tag}`, slug: `category-${tag}` });
  const product = em.create(Product, {
    sku: `SKU-${tag}`,
    name: `Product ${tag}`,
    priceCents: 300,
    currency: 'EUR',
    stock,
    category,
    published: true,
  });
  await em.flush();
  return { subject: String(user.id), product };
}

/** Queues an order of one unit, as the fast service does on `POST /v1/orders`. */
function queueOrder(subject: string, productId: number) {
  return queue.accept({
    collection: 'orders',
    op: 'create',
    recordId: null,
    body: { lines: [{ productId, quantity: 1 }] },
    subject,
    ownerKey: subject,
    sessionId: null,
    ifMatch: null,
    idempotencyKey: null,
    bodyHash: 'b'.repeat(64),
    acceptedAt: Date.now(),
  });
}

/** Queues `count` orders of one unit; their write ids. */
async function queueOrders(subject: string, productId: number, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let index = 0; index < count; index++) {
    const result = await queueOrder(subject, productId);
    assert.equal(result.kind, 'accepted');
    ids.push((result as { id: number }).id);
  }
  return ids;
}

/** The writes' outcome rows once an applier settled them all, in id order. */
async function settled(ids: readonly number[]) {
  await eventually('the queued writes have outcomes', async () => {
    const outcomes = await orm.em.fork().find(Write, { id: { $in: [...ids] }, status: { $ne: 'queued' } });
    return outcomes.length === ids.length;
  });
  return orm.em.fork().find(Write, { id: { $in: [...ids] } }, { orderBy: { id: 'asc' } });
}

/** `tandem applier` as `tandem start` runs it (an IPC channel to the parent), once it reported ready. */
function startApplier(childEnv: NodeJS.ProcessEnv) {
  return forkUntilReady('applier', childEnv, (child) => (applier = child));
}

// As `tandem start` runs it (an IPC channel to the parent): it reports ready, applies what is queued,
// and on SIGTERM finishes, releases its partitions and exits 0 by itself.
test('tandem applier applies queued writes and exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
  const { subject, product } = await buyerAndProduct('cli', 2);
  const ids = await queueOrders(subject, product.id, 3);

  const started = await startApplier(env);
  assert.deepEqual(started.ready, { type: 'ready', service: 'applier', url: 'table queue' });
  const outcomes = await settled(ids);
  assert.deepEqual(
    outcomes.map((outcome) => [outcome.status, outcome.httpStatus]),
    [
      ['applied', 201],
      ['applied', 201],
      ['rejected', 422],
    ],
  );

  assert.deepEqual(await started.stop(), { code: 0, signal: null }, started.stderr());
});

test(
  'tandem applier cancels unpaid orders older than ORDER_HOLD_SECONDS, and none with 0',
  { timeout: 60_000 },
  async () => {
    const { subject, product } = await buyerAndProduct('hold', 5);
    /** Queues an order and waits for an applier to place it; its id. */
    const placeOrder = async () => {
      const accepted = await queueOrder(subject, product.id);
      assert.equal(accepted.kind, 'accepted');
      const writeId = (accepted as { id: number }).id;
      await eventually('the order is placed', async () => {
        return (await orm.em.fork().findOne(Write, writeId))?.status === 'applied';
      });
      return Number((await orm.em.fork().findOneOrFail(Write, writeId)).recordId);
    };
    const stock = async () => (await orm.em.fork().findOneOrFail(Product, product.id)).stock;

    const placing = await startApplier({ ...env, ORDER_HOLD_SECONDS: '0' });
    const unpaid = [await placeOrder(), await placeOrder()];
    assert.deepEqual(await placing.stop(), { code: 0, signal: null }, placing.stderr());
    // Placed two hours ago, never paid.
    await orm.em
      .fork()
      .nativeUpdate(Order, { id: { $in: unpaid } }, { createdAt: new Date(Date.now() - 7_200_000) });
    assert.equal(await stock(), 3);

    // 0: held until cancelled. An applier sweeps before it takes its first writes, so once it placed
    // one more order, a sweep would have been done.
    const keeping = await startApplier({ ...env, ORDER_HOLD_SECONDS: '0' });
    await placeOrder();
    assert.deepEqual(await keeping.stop(), { code: 0, signal: null }, keeping.stderr());
    const stillHeld = await orm.em.fork().find(Order, { id: { $in: unpaid } });
    assert.deepEqual(
      stillHeld.map((order) => order.status),
      ['pending', 'pending'],
    );
    assert.equal(await stock(), 2);

    const sweeping = await startApplier({ ...env, ORDER_HOLD_SECONDS: '3600' });
    await eventually('both unpaid orders are cancelled', async () => {
      const orders = await orm.em.fork().find(Order, { id: { $in: unpaid } });
      return orders.every((order) => order.status === 'cancelled');
    });
    assert.equal(await stock(), 4, 'their stock is back; the recent order keeps its unit');
    assert.deepEqual(await sweeping.stop(), { code: 0, signal: null }, sweeping.stderr());
  },
);

test(
  'tandem applier refuses an order that would take its buyer past ORDER_HOLD_MAX_UNITS',
  { timeout: 60_000 },
  async () => {
    const { subject, product } = await buyerAndProduct('max-held', 10);
    const ids = await queueOrders(subject, product.id, 3);
    const started = await startApplier({ ...env, ORDER_HOLD_MAX_UNITS: '2' });
    const outcomes = await settled(ids);
    assert.deepEqual(
      outcomes.map((outcome) => [outcome.status, outcome.httpStatus]),
      [
        ['applied', 201],
        ['applied', 201],
        ['rejected', 409],
      ],
    );
    assert.match(outcomes[2]!.errors?._ ?? '', /hold 2 units of stock .* may hold 2 at most/);
    assert.equal((await orm.em.fork().findOneOrFail(Product, product.id)).stock, 8, 'the third took nothing');
    assert.deepEqual(await started.stop(), { code: 0, signal: null }, started.stderr());
  },
);
