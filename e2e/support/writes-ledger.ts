/**
 * The books the write-path failure tests balance: after a failure, every accepted write (a 202) has
 * exactly one outcome row in `writes` (applied or rejected), every applied order exists once with the
 * lines that were asked for and one audit entry, and each product's stock went down by exactly the
 * quantities of the applied orders, nothing more (a write applied twice) and nothing less (one lost).
 * Read straight from the database with SQL: what the applier committed, not what any service says.
 * PostgreSQL only (`= any(?)` with an array parameter), like the tests that use it.
 */
import assert from 'node:assert/strict';

export type Sql = (query: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export interface LedgerMark {
  /** The highest `writes.id` and `orders.id` before the scenario (0 for none). */
  readonly lastWriteId: number;
  readonly lastOrderId: number;
  readonly stock: ReadonlyMap<number, number>;
}

export interface OutcomeRow {
  readonly id: number;
  readonly subject: string;
  readonly status: string;
  readonly httpStatus: number | null;
  readonly recordId: string | null;
  readonly lines: readonly (readonly [number, number])[];
}

interface OrderLineJson {
  readonly productId: number;
  readonly quantity: number;
}

/** JSON columns come back parsed from PostgreSQL and as text from SQLite. */
const parsed = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

const linesOf = (body: unknown): [number, number][] =>
  (parsed<{ lines?: OrderLineJson[] } | null>(body)?.lines ?? []).map((line) => [
    Number(line.productId),
    Number(line.quantity),
  ]);

export async function markLedger(sql: Sql): Promise<LedgerMark> {
  const [writes] = await sql('select coalesce(max(id), 0) as last from writes');
  const [orders] = await sql('select coalesce(max(id), 0) as last from orders');
  const stock = await sql('select id, stock from products');
  return {
    lastWriteId: Number(writes!.last),
    lastOrderId: Number(orders!.last),
    stock: new Map(stock.map((row) => [Number(row.id), Number(row.stock)])),
  };
}

/** The outcome rows of writes after the mark, by id. */
export async function outcomesSince(sql: Sql, mark: LedgerMark): Promise<Map<number, OutcomeRow>> {
  const rows = await sql(
    'select id, subject, status, http_status, record_id, body from writes where id > ? order by id',
    [mark.lastWriteId],
  );
  return new Map(
    rows.map((row) => [
      Number(row.id),
      {
        id: Number(row.id),
        subject: String(row.subject),
        status: String(row.status),
        httpStatus: row.http_status === null ? null : Number(row.http_status),
        recordId: row.record_id === null ? null : String(row.record_id),
        lines: linesOf(row.body),
      },
    ]),
  );
}

/** How many writes after the mark have an outcome row (cheap enough to poll every few milliseconds). */
export async function outcomeCount(sql: Sql, mark: LedgerMark): Promise<number> {
  const [row] = await sql('select count(*) as n from writes where id > ?', [mark.lastWriteId]);
  return Number(row!.n);
}

/**
 * Polls until every id has an applied or rejected outcome row; returns the rows since the mark. Gives
 * up after `timeoutMs`, or sooner when no new outcome appeared for `stallMs` (appliers that stopped
 * making progress: waiting longer would only make a failing run slow).
 */
export async function waitForOutcomes(
  sql: Sql,
  mark: LedgerMark,
  ids: Iterable<number>,
  timeoutMs = 60_000,
  stallMs = 20_000,
): Promise<Map<number, OutcomeRow>> {
  const wanted = [...ids];
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  let progressAt = Date.now();
  for (;;) {
    const count = await outcomeCount(sql, mark);
    if (count !== seen) [seen, progressAt] = [count, Date.now()];
    const rows = await outcomesSince(sql, mark);
    const missing = wanted.filter((id) => !['applied', 'rejected'].includes(rows.get(id)?.status ?? ''));
    if (missing.length === 0) return rows;
    const now = Date.now();
    if (now > deadline || now - progressAt > stallMs)
      assert.fail(
        `${missing.length} of ${wanted.length} accepted writes have no outcome ${now > deadline ? `after ${timeoutMs} ms` : `and none came for ${stallMs} ms`} (first: ${missing.slice(0, 10).join(', ')})`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface AcceptedWrite {
  readonly writeId: number;
  readonly subject: string;
  readonly lines: readonly (readonly [number, number])[];
}

export interface Balance {
  readonly applied: number;
  readonly rejected: number;
  /** Outcome rows of writes no 202 was seen for (requests cut off by a failure): applied at most once too. */
  readonly unanswered: number;
}

/**
 * Checks the books after every accepted write has an outcome. `unansweredAtMost`: requests that got no
 * answer (the service died under them) may each have been queued, so up to that many extra outcome
 * rows are allowed; they are held to the same exactly-once rules.
 */
export async function assertBalanced(
  sql: Sql,
  mark: LedgerMark,
  accepted: readonly AcceptedWrite[],
  unansweredAtMost = 0,
): Promise<Balance> {
  const outcomes = await outcomesSince(sql, mark);
  const acceptedIds = new Set(accepted.map((write) => write.writeId));
  assert.equal(acceptedIds.size, accepted.length, 'every 202 named a write id of its own');
  for (const write of accepted) {
    const row = outcomes.get(write.writeId);
    assert.ok(row, `accepted write ${write.writeId} has an outcome row`);
    assert.ok(['applied', 'rejected'].includes(row.status), `write ${write.writeId} is ${row.status}`);
    assert.equal(row.subject, write.subject, `write ${write.writeId} is its writer's`);
    assert.deepEqual(row.lines, write.lines, `write ${write.writeId} carries the lines that were sent`);
  }
  const unanswered = [...outcomes.values()].filter((row) => !acceptedIds.has(row.id));
  assert.ok(
    unanswered.length <= unansweredAtMost,
    `${unanswered.length} outcome rows of writes that were never accepted (at most ${unansweredAtMost} requests went unanswered)`,
  );
  for (const row of outcomes.values()) {
    assert.ok(['applied', 'rejected'].includes(row.status), `write ${row.id} ends ${row.status}`);
    if (row.status === 'applied') {
      assert.equal(row.httpStatus, 201, `applied write ${row.id} answers 201`);
      assert.ok(row.recordId, `applied write ${row.id} names its order`);
    } else assert.ok((row.httpStatus ?? 0) >= 400, `rejected write ${row.id} answers ${row.httpStatus}`);
  }

  // Every applied write made exactly one order, with its writer as owner and its lines; no other order appeared.
  const applied = [...outcomes.values()].filter((row) => row.status === 'applied');
  const orders = await sql('select id, user_id, lines from orders where id > ? order by id', [
    mark.lastOrderId,
  ]);
  const orderById = new Map(orders.map((row) => [String(row.id), row]));
  const made = new Set(applied.map((row) => row.recordId));
  assert.equal(made.size, applied.length, 'no two applied writes name the same order');
  assert.equal(orders.length, applied.length, 'one new order per applied write, no more');
  for (const row of applied) {
    const order = orderById.get(row.recordId!);
    assert.ok(order, `order ${row.recordId} of write ${row.id} exists`);
    assert.equal(String(order.user_id), row.subject, `order ${row.recordId} belongs to its writer`);
    assert.deepEqual(
      linesOf({ lines: parsed(order.lines) }),
      row.lines,
      `order ${row.recordId} has the lines of write ${row.id}`,
    );
  }

  // One audit entry per applied order (the same transaction as the order).
  const audits = await sql(
    `select record_id, count(*) as n from audit_entries
      where model = 'Order' and action = 'create' and record_id = any(?) group by record_id`,
    [applied.map((row) => row.recordId)],
  );
  const audited = new Map(audits.map((row) => [String(row.record_id), Number(row.n)]));
  for (const row of applied)
    assert.equal(audited.get(row.recordId!) ?? 0, 1, `order ${row.recordId} has one audit entry`);

  // Stock: down by exactly the applied quantities.
  const expected = new Map(mark.stock);
  for (const row of applied)
    for (const [productId, quantity] of row.lines)
      expected.set(productId, (expected.get(productId) ?? 0) - quantity);
  const now = await sql('select id, stock from products');
  for (const row of now)
    assert.equal(
      Number(row.stock),
      expected.get(Number(row.id)),
      `product ${row.id}'s stock is what the applied orders left`,
    );
  return {
    applied: applied.length,
    rejected: outcomes.size - applied.length,
    unanswered: unanswered.length,
  };
}
