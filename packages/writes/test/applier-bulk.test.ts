import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditEntry, Order, Write, type OrderLine } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { BatchApplier, WRITE_HANDLERS, type WriteHandler, type WriteRequest } from '../src/index.js';
import {
  cancelWrite,
  createProducts,
  createUsers,
  orderWrite,
  statementsOf,
  stockOf,
} from './applier-support.js';

/** The standard handlers without the bulk path: every write in its own savepoint, as before it. */
const PER_WRITE_HANDLERS: ReadonlyMap<string, WriteHandler> = new Map(
  [...WRITE_HANDLERS].map(([name, handler]) => [
    name,
    { ...handler, runs: undefined, applyRun: undefined } satisfies WriteHandler,
  ]),
);

/** What a scenario left behind, with its own product and order ids replaced by their names. */
interface Observed {
  readonly outcomes: unknown[];
  readonly stock: Record<string, number>;
  readonly orders: unknown[];
  readonly audit: unknown[];
}

/**
 * The bulk path (a run of creates decided in memory, written with multi-row statements) must leave
 * exactly what the per-write path (a savepoint per write) leaves: the same outcomes, stock, order rows
 * and audit entries. Each scenario runs twice, on fresh products, once with each applier.
 */
describe(`applier bulk path (${testDialect()})`, () => {
  let db: MigratedTestDatabase;
  let bulk: BatchApplier;
  let perWrite: BatchApplier;
  let users: string[];

  before(async () => {
    db = await createMigratedDatabase();
    bulk = new BatchApplier(db.orm, db.target.dialect, WRITE_HANDLERS);
    perWrite = new BatchApplier(db.orm, db.target.dialect, PER_WRITE_HANDLERS);
    users = await createUsers(db, 3, 'bulk');
  });
  after(async () => {
    await db.close();
  });

  const em = () => db.orm.em.fork();

  /** Replaces product ids by names in a rejection's message. */
  const renamed = (text: string, names: ReadonlyMap<number, string>) =>
    text.replace(/Product (\d+) /g, (whole, id: string) => `Product ${names.get(Number(id)) ?? id} `);

  async function observe(
    names: ReadonlyMap<number, string>,
    writes: readonly WriteRequest[],
    orderIds: readonly number[],
  ): Promise<Observed> {
    const orderName = (id: string | null) => {
      const index = orderIds.indexOf(Number(id));
      return id === null ? null : index >= 0 ? `order ${index}` : `unknown ${id}`;
    };
    const lines = (value: unknown) =>
      (value as Pick<OrderLine, 'productId'>[] | null)?.map((line) => ({
        ...line,
        productId: names.get(line.productId) ?? line.productId,
      })) ?? null;
    const outcomes = [];
    for (const write of writes) {
      const row = await em().findOne(Write, write.id);
      outcomes.push(
        row === null
          ? null
          : {
              status: row.status,
              httpStatus: row.httpStatus,
              recordId: orderName(row.recordId ?? null),
              errors:
                row.errors === null || row.errors === undefined
                  ? null
                  : Object.fromEntries(
                      Object.entries(row.errors).map(([field, message]) => [field, renamed(message, names)]),
                    ),
            },
      );
    }
    const stock: Record<string, number> = {};
    for (const [id, name] of names) stock[name] = await stockOf(db, id);
    const orders = (await em().find(Order, { id: { $in: [...orderIds] } }, { orderBy: { id: 'asc' } })).map(
      (order) => ({
        id: orderName(String(order.id)),
        user: String(order.user.id),
        status: order.status,
        currency: order.currency,
        totalCents: order.totalCents,
        lines: lines(order.lines),
        stockTaken: lines(order.stockTaken),
        stamped: order.createdAt instanceof Date && order.updatedAt instanceof Date,
      }),
    );
    const audit = (
      await em().find(
        AuditEntry,
        { model: 'Order', recordId: { $in: orderIds.map(String) } },
        { orderBy: { id: 'asc' } },
      )
    ).map((entry) => ({
      recordId: orderName(entry.recordId),
      action: entry.action,
      actor: entry.actor ? String(entry.actor.id) : null,
      actorEmail: entry.actorEmail,
      diff: {
        ...entry.diff,
        ...(entry.diff.lines
          ? { lines: { before: lines(entry.diff.lines.before), after: lines(entry.diff.lines.after) } }
          : {}),
        ...(entry.diff.stockTaken
          ? {
              stockTaken: {
                before: lines(entry.diff.stockTaken.before),
                after: lines(entry.diff.stockTaken.after),
              },
            }
          : {}),
      },
      dated: entry.createdAt instanceof Date,
    }));
    return { outcomes, stock, orders, audit };
  }

  /** The orders of a scenario: every id an outcome names, in id order. */
  async function orderIdsOf(writes: readonly WriteRequest[]): Promise<number[]> {
    const rows = await em().find(Write, { id: { $in: writes.map((write) => write.id) } });
    return [...new Set(rows.flatMap((row) => (row.recordId === null ? [] : [Number(row.recordId)])))].sort(
      (a, b) => a - b,
    );
  }

  /**
   * A mixed batch: valid orders, out of stock in the middle of the run, an unpublished and a missing
   * product, mixed currencies, two lines of one product, an owner that is no user, a cancel between
   * creates (its stock is then taken by the run after it), a write redelivered within the batch and
   * one redelivered from an earlier batch.
   */
  async function mixedScenario(applier: BatchApplier): Promise<Observed> {
    const ids = await createProducts(db, [
      { stock: 100, priceCents: 1250 },
      { stock: 3, priceCents: 500 },
      { stock: 50, published: false },
      { stock: 10, currency: 'USD', priceCents: 999 },
    ]);
    const [plenty, scarce, hidden, dollar] = ids as [number, number, number, number];
    const names = new Map(ids.map((id, index) => [id, ['plenty', 'scarce', 'hidden', 'dollar'][index]!]));
    const [alice, bob, carol] = users as [string, string, string];
    const earlier = orderWrite(alice, [[scarce, 1]]);
    await applier.apply([earlier]);
    const toCancel = (await em().findOneOrFail(Write, earlier.id)).recordId!;

    const first = orderWrite(alice, [[plenty, 2]]);
    const batch = [
      first,
      orderWrite(bob, [
        [scarce, 1],
        [plenty, 1],
      ]),
      orderWrite(carol, [[scarce, 2]]), // 1 left: out of stock, mid-run
      orderWrite(alice, [[hidden, 1]]),
      orderWrite(bob, [[2_000_000_000, 1]]),
      orderWrite(carol, [
        [plenty, 1],
        [dollar, 1],
      ]),
      orderWrite(alice, [[dollar, 3]]),
      orderWrite(bob, [
        [scarce, 1],
        [scarce, 1],
      ]), // each line fits the 1 left, both do not
      orderWrite('client:7', [[plenty, 1]], { ownerKey: null }),
      orderWrite(carol, [[scarce, 1]]), // takes the last one
      cancelWrite(alice, toCancel), // gives 1 back
      orderWrite(bob, [[scarce, 1]]), // takes it
      orderWrite(carol, [[scarce, 1]]), // out of stock again
      first, // redelivered within the batch
      earlier, // redelivered from an earlier batch
      orderWrite(alice, [[plenty, 1]]),
    ];
    const result = await applier.apply(batch);
    assert.equal(result.skipped, 2);
    // Two runs (before and after the cancel), neither redone write by write.
    if (applier === bulk) assert.deepEqual([result.inRuns, result.runsRedone], [13, 0]);
    else assert.deepEqual([result.inRuns, result.runsRedone], [0, 0]);
    const all = [earlier, ...batch];
    return observe(names, all, await orderIdsOf(all));
  }

  test('a mixed batch gives exactly the outcomes, stock, orders and audit entries of the per-write path', async () => {
    const expected = await mixedScenario(perWrite);
    const observed = await mixedScenario(bulk);
    assert.deepEqual(observed, expected);
    // What both give, checked outright as well (the comparison alone would pass two equal mistakes).
    assert.deepEqual(observed.stock, { plenty: 96, scarce: 0, hidden: 50, dollar: 7 });
    const statuses = observed.outcomes.map((outcome) => (outcome as { httpStatus: number }).httpStatus);
    assert.deepEqual(
      statuses,
      [201, 201, 201, 422, 422, 422, 422, 201, 422, 422, 201, 200, 201, 422, 201, 201, 201],
    );
    assert.equal(observed.orders.length, 7);
    assert.equal(observed.audit.length, 8, 'a create entry per order, an update for the cancel');
    assert.deepEqual((observed.outcomes[3] as { errors: unknown }).errors, {
      lines: 'Product scarce is out of stock.',
    });
  });

  test('a run whose insert the database refuses (an owner deleted since) is redone write by write: only that write is rejected', async () => {
    async function scenario(applier: BatchApplier): Promise<Observed> {
      const ids = await createProducts(db, [{ stock: 10 }]);
      const names = new Map([[ids[0]!, 'product']]);
      // A user id no user has (deleted after the write was accepted): the order's foreign key fails.
      const gone = '1999999999';
      const batch = [
        orderWrite(users[0]!, [[ids[0]!, 1]]),
        orderWrite(gone, [[ids[0]!, 2]]),
        orderWrite(users[1]!, [[ids[0]!, 3]]),
      ];
      const result = await applier.apply(batch);
      assert.equal(result.runsRedone, applier === bulk ? 1 : 0);
      return observe(names, batch, await orderIdsOf(batch));
    }
    const expected = await scenario(perWrite);
    const observed = await scenario(bulk);
    assert.deepEqual(observed, expected);
    assert.deepEqual(
      observed.outcomes.map((outcome) => (outcome as { httpStatus: number }).httpStatus),
      [201, 422, 201],
    );
    assert.deepEqual(observed.stock, { product: 6 });
  });

  test('an order whose total overflows orders.total_cents (a PostgreSQL int) at the current prices is rejected alone, in the same batch, by both paths', async () => {
    // The attack: orders accepted at the prices served then (or queued without the edge), priced past
    // 2^31 - 1 cents when applied. On PostgreSQL the INSERT failed (22003) and the batch was retried as
    // poison while every write of the partition waited; on SQLite the order was placed. Now the rule is
    // the model's, on both databases, and the write alone is refused before any statement fails.
    async function scenario(applier: BatchApplier): Promise<Observed> {
      const ids = await createProducts(db, [
        { stock: 10_000, priceCents: 250_000 },
        { stock: 100, priceCents: 500 },
      ]);
      const [dear, cheap] = ids as [number, number];
      const names = new Map([
        [dear, 'dear'],
        [cheap, 'cheap'],
      ]);
      const [alice, bob, carol] = users as [string, string, string];
      const batch = [
        orderWrite(alice, [[cheap, 1]]),
        orderWrite(bob, [[dear, 9000]]), // one line: 2,250,000,000 cents
        orderWrite(bob, [
          [dear, 5000],
          [cheap, 1],
          [dear, 4000],
        ]), // each line fits, the total does not
        orderWrite(carol, [
          [cheap, 2],
          [dear, 1],
        ]),
      ];
      const result = await applier.apply(batch);
      // Decided in the run (or each write in its savepoint) with no statement failing: not redone.
      assert.deepEqual([result.applied, result.rejected, result.runsRedone], [2, 2, 0]);
      assert.equal(result.inRuns, applier === bulk ? batch.length : 0);
      return observe(names, batch, await orderIdsOf(batch));
    }
    const expected = await scenario(perWrite);
    const observed = await scenario(bulk);
    assert.deepEqual(observed, expected);
    assert.deepEqual(
      observed.outcomes.map((outcome) => {
        const { status, httpStatus, errors } = outcome as {
          status: string;
          httpStatus: number;
          errors: unknown;
        };
        return [status, httpStatus, errors];
      }),
      [
        ['applied', 201, null],
        [
          'rejected',
          422,
          {
            lines:
              'Line 1 (9000 × 250000 cents) comes to more than an order may total (2147483647 cents); order fewer.',
          },
        ],
        [
          'rejected',
          422,
          {
            lines:
              'The lines add up to 2250000500 cents, more than an order may total (2147483647 cents); split the order.',
          },
        ],
        ['applied', 201, null],
      ],
    );
    assert.deepEqual(observed.stock, { dear: 9_999, cheap: 97 }, 'the refused orders took no stock');
  });

  test("a batch of new orders on PostgreSQL: no savepoint, and the run's one read is its only product lock", async (t) => {
    if (testDialect() !== 'postgresql') return t.skip("row locks and round trips are PostgreSQL's");
    const [a, b] = (await createProducts(db, [{ stock: 10 }, { stock: 10 }])) as [number, number];
    const { result, statements } = await statementsOf(db, () =>
      bulk.apply([
        orderWrite(users[0]!, [
          [b, 1],
          [a, 1],
        ]),
        orderWrite(users[1]!, [[a, 2]]),
      ]),
    );
    assert.deepEqual([result.applied, result.inRuns, result.runsRedone], [2, 2, 0]);
    assert.deepEqual(
      statements.filter((sql) => /savepoint/i.test(sql)),
      [],
      'each savepoint is two round trips',
    );
    const locks = statements.filter((sql) => /for update/i.test(sql));
    assert.equal(locks.length, 1, locks.join('\n'));
    assert.match(
      locks[0]!,
      /from products .*order by id for update/s,
      'in id order, so two appliers cannot deadlock',
    );
    assert.deepEqual([await stockOf(db, a), await stockOf(db, b)], [7, 9]);
  });

  test('the stock the run decided from is the guarantee: stock taken outside the locks makes the run fall back, never oversell', async () => {
    const [product] = await createProducts(db, [{ stock: 3 }]);
    const stealing: WriteHandler = {
      ...WRITE_HANDLERS.get('orders')!,
      async applyRun(run) {
        // Another writer's take between the run's read and its UPDATE (the locks exclude it; the guard must catch it).
        const verdicts = await WRITE_HANDLERS.get('orders')!.applyRun!({
          ...run,
          em: new Proxy(run.em, {
            get(target, key, receiver) {
              if (key !== 'getConnection') return Reflect.get(target, key, receiver) as unknown;
              return () => {
                const connection = target.getConnection();
                return new Proxy(connection, {
                  get(c, k, r) {
                    if (k !== 'execute') return Reflect.get(c, k, r) as unknown;
                    return async (sql: string, ...rest: unknown[]) => {
                      if (sql.startsWith('update products set stock = stock - (case'))
                        await c.execute(
                          `update products set stock = 0 where id = ${product}`,
                          [],
                          'run',
                          target.getTransactionContext(),
                        );
                      return (c.execute as (...args: unknown[]) => unknown).apply(c, [sql, ...rest]);
                    };
                  },
                });
              };
            },
          }),
        });
        return verdicts;
      },
    };
    const handlers = new Map(WRITE_HANDLERS);
    handlers.set('orders', stealing);
    const applier = new BatchApplier(db.orm, db.target.dialect, handlers);
    const batch = [orderWrite(users[0]!, [[product!, 1]]), orderWrite(users[1]!, [[product!, 1]])];
    const result = await applier.apply(batch);
    // The run read 3 and decided both; the stock was gone when its UPDATE ran, which refused: the
    // batch was rolled back (the theft with it) and redone write by write, both applied from 3.
    // Without the guard, both orders would have been written against a stock of 0.
    assert.deepEqual([result.applied, result.rejected, result.runsRedone], [2, 0, 1]);
    assert.equal(await stockOf(db, product!), 1);
  });
});
