import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Order, Write } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { BatchApplier, writeHandlers, type WriteHandler, type WriteRequest } from '../src/index.js';
import { unitsHeldSql } from '../src/applier/buyer-holds.js';
import {
  cancelWrite,
  createProducts,
  createStaffOrder,
  createUsers,
  orderWrite,
  queryPlan,
  stockOf,
} from './applier-support.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The most units one buyer's unpaid orders may hold in these tests (ORDER_HOLD_MAX_UNITS). */
const MAX_UNITS = 5;

/**
 * ORDER_HOLD_MAX_UNITS: one buyer placing orders and never paying could hold a product's whole stock
 * (and renew the holds as they expire). An order that would take its buyer's unpaid orders past the
 * limit is refused, whichever path applies it and however many appliers run.
 */
describe(`a buyer's unpaid orders hold a bounded amount of stock (${testDialect()})`, () => {
  let db: MigratedTestDatabase;
  let bulk: BatchApplier;
  let perWrite: BatchApplier;
  let users: string[];
  const em = () => db.orm.em.fork();

  before(async () => {
    db = await createMigratedDatabase();
    const handlers = writeHandlers({ maxHeldUnits: MAX_UNITS });
    bulk = new BatchApplier(db.orm, db.target.dialect, handlers);
    // Every write in its own savepoint (check, then apply), as a batch redone write by write is.
    perWrite = new BatchApplier(
      db.orm,
      db.target.dialect,
      new Map(
        [...handlers].map(([name, handler]) => [
          name,
          { ...handler, runs: undefined, applyRun: undefined } satisfies WriteHandler,
        ]),
      ),
    );
    users = await createUsers(db, 10, 'holder');
  });
  after(() => db.close());

  /** Each write's outcome: its HTTP status, and the refusal's first message if it was refused. */
  async function outcomes(writes: readonly WriteRequest[]): Promise<[number | null | undefined, string?][]> {
    const rows = await em().find(Write, { id: { $in: writes.map((write) => write.id) } });
    return writes.map((write) => {
      const row = rows.find((candidate) => candidate.id === write.id)!;
      return row.errors ? [row.httpStatus, Object.values(row.errors)[0]] : [row.httpStatus];
    });
  }

  const refusal = (held: number, adding: number) =>
    `Your unpaid orders hold ${held} units of stock and this order would add ${adding}; ` +
    `one buyer's unpaid orders may hold ${MAX_UNITS} at most. Pay for or cancel a pending order first.`;

  for (const [path, applier] of [
    ['in one run', () => bulk],
    ['write by write', () => perWrite],
  ] as const)
    test(`orders up to the limit are placed, the one past it is 409 and takes nothing; another buyer is not held back (${path})`, async () => {
      const [shoes, socks] = (await createProducts(db, [{ stock: 100 }, { stock: 100 }])) as [number, number];
      const [alice, bob] = path === 'in one run' ? [users[0]!, users[1]!] : [users[2]!, users[3]!];
      const batch = [
        orderWrite(alice, [
          [shoes, 2],
          [socks, 1],
        ]),
        orderWrite(bob, [[shoes, 5]]), // bob's own limit
        orderWrite(alice, [[socks, 2]]), // 5: exactly the limit
        orderWrite(alice, [[shoes, 1]]), // 6: refused
        orderWrite(bob, [[socks, 1]]), // 6 for bob: refused
      ];
      const result = await applier().apply(batch);
      assert.deepEqual(await outcomes(batch), [
        [201],
        [201],
        [201],
        [409, refusal(5, 1)],
        [409, refusal(5, 1)],
      ]);
      if (path === 'in one run') assert.equal(result.inRuns, batch.length, 'decided by the bulk path');
      assert.equal(await stockOf(db, shoes), 93, 'the refused orders took nothing');
      assert.equal(await stockOf(db, socks), 97);
    });

  test('paid, cancelled and staff-made orders hold nothing: a cancel makes room again', async () => {
    const [product] = (await createProducts(db, [{ stock: 100 }])) as [number];
    const buyer = users[4]!;
    const first = orderWrite(buyer, [[product, 3]]);
    const second = orderWrite(buyer, [[product, 2]]);
    await bulk.apply([first, second]);
    const [firstId, secondId] = await Promise.all(
      [first, second].map(async (write) => (await em().findOneOrFail(Write, write.id)).recordId!),
    );
    // Staff may make an order for anyone; it took no stock and does not count.
    await createStaffOrder(db, buyer, product, 50, 100);
    const blocked = orderWrite(buyer, [[product, 1]]);
    await bulk.apply([blocked]);
    assert.deepEqual(await outcomes([blocked]), [[409, refusal(5, 1)]]);

    // Paid: no longer a hold.
    await em().nativeUpdate(Order, { id: Number(firstId) }, { status: 'paid' });
    const afterPaying = orderWrite(buyer, [[product, 3]]);
    await perWrite.apply([afterPaying]);
    assert.deepEqual(await outcomes([afterPaying]), [[201]]);

    // Cancelled (by its owner, through the API): its units are free in the same batch.
    const cancel = cancelWrite(buyer, secondId!);
    const afterCancel = orderWrite(buyer, [[product, 2]]);
    const tooMany = orderWrite(buyer, [[product, 1]]);
    await bulk.apply([cancel, afterCancel, tooMany]);
    assert.deepEqual(await outcomes([cancel, afterCancel, tooMany]), [[200], [201], [409, refusal(5, 1)]]);
  });

  test('an order larger than the limit on its own is 422 (no payment could make room for it), on both paths', async () => {
    const [product] = (await createProducts(db, [{ stock: 100 }])) as [number];
    const tooLarge = `This order takes ${MAX_UNITS + 1} units of stock; one buyer's unpaid orders may hold ${MAX_UNITS} at most. Order fewer.`;
    for (const applier of [bulk, perWrite]) {
      const large = orderWrite(users[5]!, [
        [product, MAX_UNITS],
        [product, 1],
      ]);
      await applier.apply([large]);
      assert.deepEqual(await outcomes([large]), [[422, tooLarge]]);
    }
    assert.equal(await stockOf(db, product), 100);
  });

  test('a stored stock_taken that is not a list of quantities counts nothing, as a cancel puts nothing back', async () => {
    const [product] = (await createProducts(db, [{ stock: 100 }])) as [number];
    const buyer = users[7]!;
    // Written around the applier (a script, a restore): none of these is a list of numeric quantities.
    const odd = ['null', '{}', '"[{\\"productId\\":1,\\"quantity\\":5}]"', '[null]', '[{"quantity":"7"}]'];
    const cast = db.target.dialect === 'postgresql' ? '::json' : '';
    for (const value of odd) {
      const id = await createStaffOrder(db, buyer, product, 1, 100);
      await em()
        .getConnection()
        .execute(`update orders set stock_taken = ?${cast} where id = ?`, [value, id]);
    }
    const counted = await createStaffOrder(db, buyer, product, 1, 100);
    await em()
      .getConnection()
      .execute(`update orders set stock_taken = ?${cast} where id = ?`, [
        '[{"productId":1,"quantity":2.0}]',
        counted,
      ]);
    const placed = orderWrite(buyer, [[product, 3]]);
    const past = orderWrite(buyer, [[product, 1]]);
    await bulk.apply([placed, past]);
    assert.deepEqual(await outcomes([placed, past]), [[201], [409, refusal(5, 1)]]);
  });

  test('the count reads the buyers’ holds through the partial index, not their order history', async () => {
    // A history: 40 orders each for 50 buyers, one in four of them held. On a few rows any plan is cheap.
    const buyers = (await createUsers(db, 50, 'history')).map(Number);
    const at = new Date();
    await em()
      .getDriver()
      .nativeInsertMany(
        Order.meta.className,
        buyers.flatMap((user) =>
          Array.from({ length: 40 }, (_, index) => ({
            user,
            status: index % 4 === 0 ? 'pending' : 'paid',
            currency: 'EUR',
            totalCents: 100,
            lines: [{ productId: 1, quantity: 1, unitPriceCents: 100 }],
            stockTaken: index % 4 === 0 ? [{ productId: 1, quantity: 1 }] : null,
            createdAt: at,
            updatedAt: at,
          })),
        ),
      );
    const plan = await queryPlan(db, unitsHeldSql(db.target.dialect, buyers.slice(0, 3)));
    assert.match(plan, /orders_held_by_buyer_idx/, `the count's plan:\n${plan}`);
  });

  test(
    'PostgreSQL: a cancel’s late product lock cannot deadlock appliers waiting for the same buyer',
    { skip: testDialect() !== 'postgresql' && 'SQLite has one writer at a time (the applier’s write lock)' },
    async () => {
      const [p1, p9] = (await createProducts(db, [{ stock: 100 }, { stock: 100 }])) as [number, number];
      const buyer = users[6]!;
      // Another applier, mid-batch, placing the buyer's order N on p9 (as every applier takes its
      // locks: the buyer, then the product), not committed yet.
      const other = new pg.Client({ connectionString: db.url });
      await other.connect();
      try {
        await other.query('begin');
        await other.query(`select pg_advisory_xact_lock(${0x54_57_41_42}, ${Number(buyer)})`);
        await other.query(`select id from products where id = ${p9} for update`);
        await other.query(`update products set stock = stock - 1 where id = ${p9}`);
        const inserted = await other.query<{ id: number }>(
          `insert into orders (user_id, status, currency, total_cents, lines, stock_taken, created_at, updated_at)
           values ($1, 'pending', 'EUR', 1999, $2, $3, now(), now()) returning id`,
          [
            buyer,
            JSON.stringify([{ productId: p9, quantity: 1, unitPriceCents: 1999 }]),
            JSON.stringify([{ productId: p9, quantity: 1 }]),
          ],
        );
        const orderN = String(inserted.rows[0]!.id);
        const handlers = writeHandlers({ maxHeldUnits: MAX_UNITS });
        // B: a new order on p1 and the cancel of N (which B cannot see yet, so it cannot lock p9 up front).
        const mixed = [orderWrite(buyer, [[p1, 1]]), cancelWrite(buyer, orderN)];
        const b = new BatchApplier(db.orm, db.target.dialect, handlers).apply(mixed);
        await sleep(200);
        // C: an order on p9.
        const single = [orderWrite(buyer, [[p9, 1]])];
        const c = new BatchApplier(db.orm, db.target.dialect, handlers).apply(single);
        await sleep(200);
        await other.query('commit');
        // With the buyer locked after the products, B held p1 and then needed p9 (its cancel), while C
        // held p9 and waited for the buyer: PostgreSQL ended one with "deadlock detected".
        await Promise.all([b, c]);
        assert.deepEqual(await outcomes([...mixed, ...single]), [[201], [200], [201]]);
      } finally {
        await other.end();
      }
    },
  );

  test(
    'PostgreSQL: appliers placing one buyer’s orders at once never pass the limit together',
    { skip: testDialect() !== 'postgresql' && 'SQLite has one writer at a time (the applier’s write lock)' },
    async () => {
      // Each order its own product, so no product lock puts them in line: only the buyer's lock can.
      const products = await createProducts(
        db,
        Array.from({ length: 12 }, () => ({ stock: 10 })),
      );
      const buyer = users[8]!;
      const writes = products.map((product) => orderWrite(buyer, [[product, 1]]));
      // One applier per write, all at once: twelve transactions, each counting the buyer's holds.
      const appliers = writes.map(
        () => new BatchApplier(db.orm, db.target.dialect, writeHandlers({ maxHeldUnits: MAX_UNITS })),
      );
      await Promise.all(writes.map((write, index) => appliers[index]!.apply([write])));
      const statuses = (await outcomes(writes)).map(([status]) => status);
      assert.equal(statuses.filter((status) => status === 201).length, MAX_UNITS, statuses.join(', '));
      assert.equal(statuses.filter((status) => status === 409).length, writes.length - MAX_UNITS);
      const held = await em().count(Order, { user: Number(buyer), status: 'pending' });
      assert.equal(held, MAX_UNITS, 'the database agrees: five pending orders of one unit');
    },
  );
});
