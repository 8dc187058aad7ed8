import type { Dialect, EntityManager } from './handler.js';
import { orderHoldProblem } from '@tandem/models';
import { WriteRejected } from './write-rejected.js';

/** PostgreSQL advisory lock class of a buyer's held stock ('TWAB'), beside the table queue's 'TWAP'/'TWAA'. */
const BUYER_LOCK = 0x54_57_41_42;

/** A buyer's lock key: the user id folded into an int4 (two buyers sharing a key only wait for each other). */
const buyerLockKey = (user: number) => user % 0x8000_0000;

const userList = (users: Iterable<number>) => {
  // User ids come from tokens' claims, parsed as integers; checked again because they go into the SQL.
  const ids = [...new Set(users)];
  for (const id of ids) if (!Number.isSafeInteger(id) || id < 1) throw new TypeError(`not a user id: ${id}`);
  return ids;
};

/**
 * PostgreSQL: takes each buyer's transaction lock, in key order and in one statement, so that two
 * appliers cannot both count a buyer's held stock and both place an order on it (the count then the
 * insert is a check-then-act across transactions). Taken before any row lock, and only by appliers
 * placing orders, so it heads the one lock order every writer follows (buyers, products, orders)
 * without a cycle (see the orders handler's lockBatch). SQLite has one writer at a time (the applier
 * holds the write lock).
 */
export async function lockBuyers(
  em: EntityManager,
  dialect: Dialect,
  users: Iterable<number>,
): Promise<void> {
  if (dialect !== 'postgresql') return;
  const keys = [...new Set(userList(users).map(buyerLockKey))].sort((a, b) => a - b);
  if (keys.length === 0) return;
  // The subquery's ORDER BY fixes the order the locks are taken in (a volatile function in the outer
  // select list would otherwise be evaluated in whatever order the rows come).
  await em
    .getConnection()
    .execute(
      `select pg_advisory_xact_lock(${BUYER_LOCK}, k) from (select unnest(array[${keys.join(', ')}]::int[]) as k order by 1) as keys`,
      [],
      'all',
      em.getTransactionContext(),
    );
}

/**
 * The stock units each buyer's unpaid orders hold (pending orders that took stock when placed: what a
 * cancel or the hold's expiry would put back), by user id; a buyer holding nothing is absent.
 */
export async function unitsHeldBy(
  em: EntityManager,
  dialect: Dialect,
  users: readonly number[],
): Promise<Map<number, number>> {
  if (users.length === 0) return new Map();
  const rows = (await em
    .getConnection()
    .execute(unitsHeldSql(dialect, users), [], 'all', em.getTransactionContext())) as {
    buyer: number | string;
    units: number | string;
  }[];
  return new Map(rows.map((row) => [Number(row.buyer), Number(row.units)]));
}

/**
 * The statement unitsHeldBy runs (validated ids). The conditions on `status` and `stock_taken` are the
 * partial index `orders_held_by_buyer_idx`'s own, written as literals: SQLite uses a partial index
 * only for a query whose WHERE states its condition. A value that is not a list counts nothing, and a
 * line without a numeric quantity counts nothing, as a cancel would put nothing back for them: one odd
 * row written around the applier must not fail every order of the batch that counts it.
 */
export function unitsHeldSql(dialect: Dialect, users: readonly number[]): string {
  const lines =
    dialect === 'postgresql'
      ? `json_array_elements(case json_typeof(o.stock_taken) when 'array' then o.stock_taken else '[]'::json end) as line`
      : `json_each(case json_type(o.stock_taken) when 'array' then o.stock_taken else '[]' end) as line`;
  const quantity =
    dialect === 'postgresql'
      ? `case json_typeof(line->'quantity') when 'number' then (line->>'quantity')::numeric else 0 end`
      : `case when json_type(line.value, '$.quantity') in ('integer', 'real') then json_extract(line.value, '$.quantity') else 0 end`;
  return `select o.user_id as buyer, sum(${quantity}) as units from orders o, ${lines}
    where o.user_id in (${userList(users).join(', ')}) and o.status = 'pending' and o.stock_taken is not null
    group by o.user_id`;
}

/**
 * Refuses an order that would bring its buyer's unpaid orders past `maxUnits` units of held stock
 * (ORDER_HOLD_MAX_UNITS): one buyer placing orders and never paying could otherwise keep a product from
 * selling to anyone, renewing the holds as they expire. 409 when the buyer's other orders are the
 * conflict (paying for or cancelling one resolves it); 422 when the order alone is larger than that.
 */
export function refuseOverHold(held: number, adding: number, maxUnits: number): void {
  if (held + adding <= maxUnits) return;
  const alone = orderHoldProblem(adding, maxUnits);
  if (alone !== null) throw new WriteRejected(422, { lines: alone });
  throw new WriteRejected(409, {
    _:
      `Your unpaid orders hold ${held} units of stock and this order would add ${adding}; ` +
      `one buyer's unpaid orders may hold ${maxUnits} at most. Pay for or cancel a pending order first.`,
  });
}
