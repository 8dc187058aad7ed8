/**
 * Migration20261205160039_order_stock_taken: pending orders placed before the column existed took their
 * lines from stock (the applier took them for every order), so the migration records that as their
 * stock_taken and a cancel puts back what it did before; orders past pending get none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, testDialect } from '../src/test-database.js';
import { User, migratorOf, openOrm } from '../src/index.js';

const BEFORE = 'Migration20261203170000_session_start_not_captured';

test(`pending orders get their lines' products and quantities as stock taken (${testDialect()})`, async () => {
  const db = await createTestDatabase();
  const orm = await openOrm(db.target);
  try {
    await migratorOf(orm).up({ to: BEFORE });
    const em = orm.em.fork();
    const user = em.create(User, { email: 'buyer@example.com', passwordHash: 'x'.repeat(60) });
    await em.flush();
    const sql = (query: string, params: unknown[] = []) => orm.em.getConnection().execute(query, params);
    const lines = JSON.stringify([
      { productId: 7, quantity: 2, unitPriceCents: 100 },
      { productId: 9, quantity: 1, unitPriceCents: 50 },
    ]);
    for (const status of ['pending', 'paid'])
      await sql(
        `insert into orders (user_id, status, currency, total_cents, lines, created_at, updated_at) values (?, ?, 'EUR', 250, ?, ?, ?)`,
        [user.id, status, lines, new Date(), new Date()],
      );

    await migratorOf(orm).up();

    const rows = (await sql('select status, stock_taken from orders order by id')) as {
      status: string;
      stock_taken: unknown;
    }[];
    const parsed = rows.map((row) => [
      row.status,
      typeof row.stock_taken === 'string' ? JSON.parse(row.stock_taken) : row.stock_taken,
    ]);
    assert.deepEqual(parsed, [
      [
        'pending',
        [
          { productId: 7, quantity: 2 },
          { productId: 9, quantity: 1 },
        ],
      ],
      ['paid', null],
    ]);
  } finally {
    await orm.close(true);
    await db.drop();
  }
});
