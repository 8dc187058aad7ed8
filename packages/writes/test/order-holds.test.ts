import { describe, test } from 'node:test';
import { createLogger } from '@tandem/log';
import assert from 'node:assert/strict';
import { AuditEntry, Order, Product, Write, openOrm } from '@tandem/models';
import { eventually, testDialect, whileAnotherWriterHolds } from '@tandem/models/testing';
import { Applier, HOLD_EXPIRY_ACTOR, cancelExpiredHolds, openWriteSource } from '../src/index.js';
import { expiredHoldsQuery } from '../src/applier/order-holds.js';
import { MAX_STOCK } from '../src/applier/product-stock.js';
import { takeSqliteWriteLock } from '../src/applier/sqlite-write-lock.js';
import {
  applierFixture,
  cancelWrite,
  queryPlan,
  createProducts,
  createStaffOrder,
  orderWrite,
  stockOf,
} from './applier-support.js';
import { configWith, writesConfig } from './support.js';

const HOUR_S = 3_600;
const silentLogger = createLogger('applier-test', 'silent');
const HOUR_MS = HOUR_S * 1000;

/**
 * ORDER_HOLD_SECONDS: a pending order placed through the API holds its stock for the hold, then the
 * applier cancels it and puts the stock back, so unpaid orders cannot keep products from selling.
 */
describe(`unpaid orders give their stock back when the hold runs out (${testDialect()})`, () => {
  const fixture = applierFixture('hold-buyer', 2);
  const em = () => fixture.db.orm.em.fork();
  /** One sweep's cancelled orders; none may fail. */
  const sweep = async (now = Date.now()) => {
    const { cancelled, failed } = await cancelExpiredHolds(em(), fixture.db.target.dialect, HOUR_S, { now });
    assert.deepEqual(failed, []);
    return cancelled;
  };

  /** Places an order through the applier (as the API does) and returns its id. */
  async function place(user: string, lines: readonly [number, number][]): Promise<number> {
    const placed = orderWrite(user, lines);
    const result = await fixture.batches.apply([placed]);
    assert.equal(result.applied, 1);
    return Number((await em().findOneOrFail(Write, placed.id)).recordId);
  }

  /** Moves an order's placing time into the past, as if it had waited that long unpaid. */
  async function placedAgo(orderId: number, ms: number): Promise<void> {
    await em().nativeUpdate(Order, { id: orderId }, { createdAt: new Date(Date.now() - ms) });
  }

  test('an order pending longer than the hold is cancelled, its stock put back once, and the audit log says why', async () => {
    const [shoes, socks] = await createProducts(fixture.db, [{ stock: 10 }, { stock: 4 }]);
    const expired = await place(fixture.users[0]!, [
      [shoes!, 3],
      [socks!, 4],
    ]);
    const recent = await place(fixture.users[1]!, [[shoes!, 2]]);
    await placedAgo(expired, HOUR_MS + 1_000);
    await placedAgo(recent, HOUR_MS - 60_000);
    assert.deepEqual([await stockOf(fixture.db, shoes!), await stockOf(fixture.db, socks!)], [5, 0]);

    assert.deepEqual(await sweep(), [expired]);
    const order = await em().findOneOrFail(Order, expired);
    assert.equal(order.status, 'cancelled');
    assert.equal(order.stockTaken, null, 'nothing left to put back a second time');
    assert.deepEqual([await stockOf(fixture.db, shoes!), await stockOf(fixture.db, socks!)], [8, 4]);
    assert.equal((await em().findOneOrFail(Order, recent)).status, 'pending', 'its hold has a minute left');

    const [entry, ...more] = await em().find(
      AuditEntry,
      { model: 'Order', recordId: String(expired), action: 'update' },
      { orderBy: { id: 'asc' } },
    );
    assert.equal(more.length, 0);
    assert.equal(entry!.actor, null, 'no user did it');
    assert.equal(entry!.actorEmail, HOLD_EXPIRY_ACTOR.email);
    assert.deepEqual(entry!.diff, { status: { before: 'pending', after: 'cancelled' } });

    assert.deepEqual(await sweep(), [], 'a second sweep finds nothing');
    assert.deepEqual(
      [await stockOf(fixture.db, shoes!), await stockOf(fixture.db, socks!)],
      [8, 4],
      'stock went back once',
    );
    assert.deepEqual(await sweep(Date.now() + 60_000), [recent], 'the other order, once its hour is up');
    assert.equal(await stockOf(fixture.db, shoes!), 10);
  });

  test('paid orders, orders staff created (which took no stock) and cancelled ones are left alone', async () => {
    const [product] = await createProducts(fixture.db, [{ stock: 10 }]);
    const paid = await place(fixture.users[0]!, [[product!, 1]]);
    const cancelled = await place(fixture.users[0]!, [[product!, 2]]);
    await fixture.batches.apply([cancelWrite(fixture.users[0]!, String(cancelled))]);
    const byStaff = await createStaffOrder(fixture.db, fixture.users[1]!, product!, 5, 20);
    await em().nativeUpdate(Order, { id: paid }, { status: 'paid' });
    for (const id of [paid, cancelled, byStaff]) await placedAgo(id, 2 * HOUR_MS);

    assert.deepEqual(await sweep(), []);
    const after = await em().find(
      Order,
      { id: { $in: [paid, cancelled, byStaff] } },
      { orderBy: { id: 'asc' } },
    );
    assert.deepEqual(
      after.map((order) => order.status),
      ['paid', 'cancelled', 'pending'],
    );
    assert.equal(
      await stockOf(fixture.db, product!),
      9,
      'only the paid order holds stock; nothing was added',
    );
  });

  test('sweeps running at once (two appliers) cancel each order and put its stock back once', async () => {
    const [product] = await createProducts(fixture.db, [{ stock: 20 }]);
    const orders: number[] = [];
    for (let index = 0; index < 6; index += 1)
      orders.push(await place(fixture.users[index % 2]!, [[product!, 2]]));
    for (const id of orders) await placedAgo(id, HOUR_MS + 1_000);
    assert.equal(await stockOf(fixture.db, product!), 8);

    const swept = await Promise.all([sweep(), sweep(), sweep()]);
    assert.deepEqual(
      swept.flat().sort((a, b) => a - b),
      orders,
      'each order cancelled by exactly one sweep',
    );
    assert.equal(await stockOf(fixture.db, product!), 20);
  });

  test('the sweep finds its orders through the partial index, not by reading every order', async () => {
    const query = expiredHoldsQuery(fixture.db.orm.em.fork(), new Date(Date.now() - HOUR_MS), 200);
    const plan = await queryPlan(fixture.db, query.getFormattedQuery());
    assert.match(plan, /orders_stock_held_idx/, `the sweep's plan:\n${plan}`);
  });

  test(
    'an order paid while the sweep waits for its lock stays paid, and keeps its stock',
    {
      skip:
        testDialect() === 'sqlite'
          ? 'SQLite has one writer: nothing changes the order while a sweep runs'
          : false,
    },
    async () => {
      const [product] = await createProducts(fixture.db, [{ stock: 10 }]);
      const order = await place(fixture.users[0]!, [[product!, 4]]);
      await placedAgo(order, HOUR_MS + 1_000);
      const swept = await whileAnotherWriterHolds(
        fixture.db.target.url,
        // Staff mark it paid in the admin, which holds the order until its save commits.
        async (writer) => {
          await writer.query('select id from orders where id = $1 for update', [order]);
          await writer.query(`update orders set status = 'paid' where id = $1`, [order]);
        },
        () => sweep(),
      );
      assert.deepEqual(swept, [], 'the sweep read the order again once it had the lock');
      assert.equal((await em().findOneOrFail(Order, order)).status, 'paid');
      assert.equal(await stockOf(fixture.db, product!), 6, 'the paid order keeps what it took');
    },
  );

  test(
    'a sweep that finds nothing takes no write lock: a writer holding it does not hold the applier up',
    {
      skip:
        testDialect() === 'postgresql' ? 'PostgreSQL: a read takes no lock that a writer waits for' : false,
    },
    async () => {
      const writer = await openOrm(fixture.db.target);
      // Begun by hand, not with `transactional`: that would make this ORM's transaction the context
      // of every query the sweep runs inside it.
      const connection = writer.em.getConnection();
      const holding = await connection.begin();
      const holder = writer.em.fork();
      holder.setTransactionContext(holding);
      try {
        await takeSqliteWriteLock(holder);
        // Ten hours ago nothing had been placed, so nothing had outlived its hold.
        assert.deepEqual(await sweep(Date.now() - 10 * HOUR_MS), []);
      } finally {
        await connection.rollback(holding);
        await writer.close(true);
      }
    },
  );

  test('stock kept at the most a product holds: the return stops there, and the cancel is not refused', async () => {
    const [unlimited, plain] = await createProducts(fixture.db, [{ stock: 5 }, { stock: 5 }]);
    const held = await place(fixture.users[0]!, [[unlimited!, 2]]);
    const ownerCancels = await place(fixture.users[0]!, [[unlimited!, 1]]);
    const other = await place(fixture.users[1]!, [[plain!, 5]]);
    // Staff set the product's stock to the column's most (stock without a count) while orders hold some.
    await em().nativeUpdate(Product, { id: unlimited! }, { stock: MAX_STOCK });
    for (const id of [held, other]) await placedAgo(id, HOUR_MS + 1_000);

    // Before: PostgreSQL refused `stock + 2` (out of range) and the whole sweep with it, every minute.
    assert.deepEqual(
      await sweep(),
      [held, other].sort((a, b) => a - b),
    );
    assert.equal(await stockOf(fixture.db, unlimited!), MAX_STOCK);
    assert.equal(await stockOf(fixture.db, plain!), 5, 'the other order in the sweep got its stock back');

    // The owner's cancel through the API: refused (422) before, for a stock it could not add to.
    const cancel = cancelWrite(fixture.users[0]!, String(ownerCancels));
    const result = await fixture.batches.apply([cancel]);
    assert.equal(result.applied, 1, JSON.stringify(result.outcomes));
    assert.equal((await em().findOneOrFail(Order, ownerCancels)).status, 'cancelled');
    assert.equal(await stockOf(fixture.db, unlimited!), MAX_STOCK);
  });

  test('an order the sweep cannot cancel does not hold up the others; it stays as it was', async () => {
    const [first, second] = await createProducts(fixture.db, [{ stock: 4 }, { stock: 4 }]);
    const stuck = await place(fixture.users[0]!, [[first!, 3]]);
    const next = await place(fixture.users[1]!, [[second!, 4]]);
    // A row the model no longer accepts (written around it): saving it cancelled fails its validation.
    const total = (await em().findOneOrFail(Order, stuck)).totalCents;
    await em().nativeUpdate(Order, { id: stuck }, { totalCents: total + 1 });
    await placedAgo(stuck, HOUR_MS + 2_000);
    await placedAgo(next, HOUR_MS + 1_000);

    const { cancelled, failed } = await cancelExpiredHolds(em(), fixture.db.target.dialect, HOUR_S);
    assert.deepEqual(cancelled, [next], 'the younger order is cancelled though the oldest fails');
    assert.deepEqual(
      failed.map(({ id }) => id),
      [stuck],
    );
    assert.match(String(failed[0]!.error), /total/i);
    assert.equal(await stockOf(fixture.db, second!), 4);
    assert.equal(await stockOf(fixture.db, first!), 1, 'nothing put back for the order left pending');
    assert.equal((await em().findOneOrFail(Order, stuck)).status, 'pending');
    const audit = await em().find(AuditEntry, { model: 'Order', recordId: String(stuck), action: 'update' });
    assert.equal(audit.length, 0, 'no audit entry for a cancel that did not happen');

    // Skipped by the next round of the same sweep, which then finds nothing else.
    assert.deepEqual(await cancelExpiredHolds(em(), fixture.db.target.dialect, HOUR_S, { skip: [stuck] }), {
      cancelled: [],
      failed: [],
    });
    await em().nativeUpdate(
      Order,
      { id: stuck },
      { totalCents: total, status: 'cancelled', stockTaken: null },
    );
  });

  test('`tandem applier` sweeps on its own, with no writes arriving, past an order it cannot cancel', async () => {
    const [product, other] = await createProducts(fixture.db, [{ stock: 3 }, { stock: 1 }]);
    const order = await place(fixture.users[1]!, [[product!, 3]]);
    const stuck = await place(fixture.users[0]!, [[other!, 1]]);
    const total = (await em().findOneOrFail(Order, stuck)).totalCents;
    await em().nativeUpdate(Order, { id: stuck }, { totalCents: total + 1 });
    await placedAgo(stuck, HOUR_MS + 2_000);
    await placedAgo(order, HOUR_MS + 1_000);
    const orm = await openOrm(fixture.db.target);
    const source = openWriteSource(configWith(fixture.db.target, writesConfig()), orm, 'hold-sweeper');
    const applier = new Applier({
      orm,
      dialect: fixture.db.target.dialect,
      source,
      // It logs the order it could not cancel at level error; the test reads its stats instead.
      logger: silentLogger,
      batchSize: 10,
      pollMs: 50,
      orderHoldSeconds: HOUR_S,
      holdSweepEveryMs: 50,
    });
    const running = applier.start();
    try {
      await eventually(
        'the applier cancels the expired order',
        async () => (await stockOf(fixture.db, product!)) === 3,
      );
      assert.equal((await em().findOneOrFail(Order, order)).status, 'cancelled');
      assert.equal(applier.stats.holdsExpired, 1);
      assert.ok(applier.stats.holdsFailed >= 1, 'the oldest order failed, and was counted');
      assert.equal((await em().findOneOrFail(Order, stuck)).status, 'pending');
      assert.equal(await stockOf(fixture.db, other!), 0);
    } finally {
      await em().nativeUpdate(
        Order,
        { id: stuck },
        { totalCents: total, status: 'cancelled', stockTaken: null },
      );
      await applier.stop();
      await running;
      await source.close();
      await orm.close(true);
    }
  });
});
