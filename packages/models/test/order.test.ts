import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '../src/test-database.js';
import {
  MAX_ORDER_CENTS,
  MAX_ORDER_LINES,
  ModelValidationError,
  Order,
  User,
  demoOrder,
  orderAmountsProblem,
  orderLinesProblem,
  orderTotal,
  validateOrder,
} from '../src/index.js';

const dialect = testDialect();

const LINES = [
  { productId: 3, quantity: 2, unitPriceCents: 1999 },
  { productId: 7, quantity: 1, unitPriceCents: 500 },
];
const valid = { user: 1, status: 'paid' as const, currency: 'EUR', totalCents: 4498, lines: LINES };

/** The field errors validateOrder reports for `order` (an empty object when it is valid). */
function errorsOf(order: Record<string, unknown>): Record<string, string> {
  try {
    validateOrder(order);
    return {};
  } catch (error) {
    assert.ok(error instanceof ModelValidationError, String(error));
    return { ...error.errors };
  }
}

describe('validateOrder', () => {
  test('a well-formed order passes, and its total is the sum of its lines', () => {
    assert.deepEqual(errorsOf(valid), {});
    assert.equal(orderTotal(LINES), 4498);
    assert.deepEqual(errorsOf({ ...valid, status: undefined }), {}, 'status defaults to pending');
  });

  const refused: [label: string, change: Record<string, unknown>, field: string, message: RegExp][] = [
    ['an unknown status', { status: 'refunded' }, 'status', /one of pending, paid, shipped, cancelled/],
    ['a status in another case', { status: 'PAID' }, 'status', /one of pending/],
    ['a lowercase currency', { currency: 'eur' }, 'currency', /ISO 4217/],
    ['a made-up currency', { currency: 'ABC' }, 'currency', /ISO 4217/],
    ['a negative total', { totalCents: -1 }, 'totalCents', /whole number of cents, 0 or more/],
    ['a fractional total', { totalCents: 4498.5 }, 'totalCents', /whole number of cents/],
    ['a total given as text', { totalCents: '4498' }, 'totalCents', /whole number of cents/],
    ['a total that is not the sum of the lines', { totalCents: 100 }, 'totalCents', /sum of the lines: 4498/],
    ['no owner', { user: null }, 'user', /belongs to a user/],
    ['no lines', { lines: [] }, 'lines', /at least one line/],
    ['lines as a JSON string', { lines: JSON.stringify(LINES) }, 'lines', /list of at least one line/],
    ['lines as an object', { lines: { 0: LINES[0] } }, 'lines', /list of at least one line/],
    ['a line that is a list', { lines: [[3, 2, 1999]] }, 'lines', /Line 1 must be an object/],
    ['a null line', { lines: [null] }, 'lines', /Line 1 must be an object/],
    [
      'a line with a flattened junk key',
      { lines: [{ ...LINES[0], 'lines.0.isAdmin': true }] },
      'lines',
      /Line 1 has unknown keys \("lines\.0\.isAdmin"\)/,
    ],
    [
      'a line with a nested operator instead of a number',
      { lines: [{ productId: { $gt: 0 }, quantity: 1, unitPriceCents: 1 }] },
      'lines',
      /Line 1: productId must be a product id/,
    ],
    [
      'a line with a __proto__ key',
      { lines: [JSON.parse('{"productId":1,"quantity":1,"unitPriceCents":1,"__proto__":{"x":1}}')] },
      'lines',
      /unknown keys \("__proto__"\)/,
    ],
    [
      'script in a product id',
      { lines: [{ productId: '<script>alert(1)</script>', quantity: 1, unitPriceCents: 1 }] },
      'lines',
      /productId must be a product id/,
    ],
    [
      'a quantity of zero',
      { lines: [{ productId: 1, quantity: 0, unitPriceCents: 1 }] },
      'lines',
      /quantity must be a whole number, 1 or more/,
    ],
    [
      'a quantity given as text',
      { lines: [{ productId: 1, quantity: '2', unitPriceCents: 1 }] },
      'lines',
      /quantity must be a whole number/,
    ],
    [
      'a negative unit price',
      { lines: [{ productId: 1, quantity: 1, unitPriceCents: -5 }] },
      'lines',
      /unitPriceCents must be a whole number of cents, 0 or more/,
    ],
    [
      'a missing unit price (second line)',
      { lines: [LINES[0], { productId: 1, quantity: 1 }] },
      'lines',
      /Line 2: unitPriceCents/,
    ],
    [
      'too many lines',
      { lines: Array.from({ length: MAX_ORDER_LINES + 1 }, () => LINES[1]) },
      'lines',
      /at most 100 lines/,
    ],
    [
      'a quantity beyond a 32-bit integer',
      { lines: [{ productId: 1, quantity: 2 ** 40, unitPriceCents: 2 ** 20 }] },
      'lines',
      /Line 1: quantity must be at most 2147483647/,
    ],
    [
      'a unit price beyond a 32-bit integer',
      { lines: [{ productId: 1, quantity: 1, unitPriceCents: 2 ** 31 }] },
      'lines',
      /Line 1: unitPriceCents must be at most 2147483647 cents/,
    ],
    [
      // orders.total_cents is a PostgreSQL int: 9,000 × 2,500.00 EUR failed the INSERT (22003) there.
      'a line whose amount overflows orders.total_cents',
      { lines: [LINES[0], { productId: 1, quantity: 9000, unitPriceCents: 250_000 }] },
      'lines',
      /Line 2 \(9000 × 250000 cents\) comes to more than an order may total \(2147483647 cents\)/,
    ],
    [
      'lines that each fit but add up to more than orders.total_cents holds',
      {
        lines: [
          { productId: 1, quantity: 1, unitPriceCents: 2 ** 30 },
          { productId: 2, quantity: 1, unitPriceCents: 2 ** 30 },
        ],
      },
      'lines',
      /add up to 2147483648 cents, more than an order may total \(2147483647 cents\)/,
    ],
    ['a total beyond orders.total_cents', { totalCents: 2 ** 31 }, 'totalCents', /at most 2147483647 cents/],
  ];
  for (const [label, change, field, message] of refused) {
    test(`refuses ${label}, naming the field`, () => {
      const errors = errorsOf({ ...valid, ...change });
      assert.match(errors[field] ?? '', message, JSON.stringify(errors));
    });
  }

  test('an order of exactly MAX_ORDER_CENTS is valid, one cent more is not: the same rule as orderAmountsProblem', () => {
    const lines = [
      { productId: 1, quantity: 1, unitPriceCents: MAX_ORDER_CENTS - 1 },
      { productId: 2, quantity: 1, unitPriceCents: 1 },
    ];
    assert.deepEqual(errorsOf({ ...valid, lines, totalCents: MAX_ORDER_CENTS }), {});
    assert.equal(orderAmountsProblem(lines), null);
    const over = [...lines, { productId: 3, quantity: 1, unitPriceCents: 1 }];
    assert.match(errorsOf({ ...valid, lines: over, totalCents: MAX_ORDER_CENTS + 1 }).lines ?? '', /split/);
    assert.equal(orderAmountsProblem(over), orderLinesProblem(over));
  });

  test('the demo order the OpenAPI example is taken from is valid', () => {
    const order = demoOrder(1, 50, new Date('2026-01-01T00:00:00Z'));
    assert.deepEqual(errorsOf({ user: 1, ...order }), {});
    assert.deepEqual(demoOrder(1, 50, new Date('2026-01-01T00:00:00Z')), order, 'deterministic');
  });
});

describe(`orders in the database (${dialect})`, () => {
  let db: MigratedTestDatabase;
  let userId: number;

  before(async () => {
    db = await createMigratedDatabase();
    const em = db.orm.em.fork();
    const user = em.create(User, { email: 'buyer@example.com', passwordHash: 'x' });
    await em.flush();
    userId = user.id;
  });
  after(() => db.close());

  test('the ORM stores a valid order with its lines and refuses an invalid one without storing it', async () => {
    const em = db.orm.em.fork();
    const order = em.create(Order, { ...valid, user: userId, status: 'pending' });
    await em.flush();
    const stored = await db.orm.em.fork().findOneOrFail(Order, order.id);
    assert.deepEqual(stored.lines, LINES);
    assert.equal(stored.totalCents, 4498);
    assert.ok(stored.createdAt instanceof Date && stored.updatedAt instanceof Date);

    const before = await db.orm.em.fork().count(Order);
    const bad = db.orm.em.fork();
    bad.create(Order, { ...valid, user: userId, status: 'lost' as 'paid', totalCents: -1 });
    await assert.rejects(bad.flush(), (error: unknown) => {
      assert.ok(error instanceof ModelValidationError);
      assert.deepEqual(Object.keys(error.errors).sort(), ['status', 'totalCents']);
      return true;
    });
    assert.equal(await db.orm.em.fork().count(Order), before, 'nothing stored');
  });

  test('an update is validated too', async () => {
    const em = db.orm.em.fork();
    const order = em.create(Order, { ...valid, user: userId });
    await em.flush();
    order.lines = [...LINES, { productId: 9, quantity: 1, unitPriceCents: 2 }];
    await assert.rejects(em.flush(), /totalCents: The total must equal the sum of the lines: 4500 cents/);
  });

  const insertRaw = (columns: Record<string, unknown>) =>
    db.orm.em
      .getKnex()
      .table('orders')
      .insert({
        user_id: userId,
        status: 'paid',
        currency: 'EUR',
        total_cents: 4498,
        lines: JSON.stringify(LINES),
        ...columns,
      });

  test('raw SQL that bypasses the ORM is held to the rules SQL can state', async () => {
    await insertRaw({});
    const refused: [string, Record<string, unknown>][] = [
      ['unknown status', { status: 'refunded' }],
      ['lowercase currency', { currency: 'eur' }],
      ['negative total', { total_cents: -1 }],
      ['lines that are an object', { lines: '{"productId":1}' }],
      ['no lines', { lines: '[]' }],
      ['an owner that does not exist', { user_id: 999999 }],
    ];
    for (const [label, columns] of refused)
      await assert.rejects(insertRaw(columns), /constraint|violates|check/i, label);
  });

  test('a user with orders cannot be deleted (orders are business records)', async () => {
    await assert.rejects(
      db.orm.em.getKnex().table('users').where({ id: userId }).delete(),
      /foreign key|FOREIGN KEY/,
    );
  });
});
