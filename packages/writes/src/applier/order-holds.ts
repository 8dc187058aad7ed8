import { Order, recordAudit, type AuditActor } from '@tandem/models';
import type { Dialect, EntityManager } from './handler.js';
import { lockOrdersForCancel, putBackTakenStock } from './orders-handler.js';
import { takeSqliteWriteLock } from './sqlite-write-lock.js';

/** Who the audit log names for a cancel made by the hold's expiry: no user, the applier. */
export const HOLD_EXPIRY_ACTOR: AuditActor = { email: 'applier: unpaid order hold expired' };

/** Orders cancelled per transaction: a sweep holds their products' locks until it commits. */
const SWEEP_BATCH = 200;

/**
 * The read of the pending orders that hold stock and were placed before `cutoff`, oldest first. The
 * conditions on `status` and `stock_taken` are the partial index's own, written as literals: SQLite
 * uses a partial index only for a query whose WHERE states its condition, and a bound parameter does not.
 */
export function expiredHoldsQuery(
  em: EntityManager,
  cutoff: Date,
  limit: number,
  skip: readonly number[] = [],
) {
  const query = em
    .createQueryBuilder(Order, 'o')
    .select(['id'])
    .where({ createdAt: { $lt: cutoff } })
    .andWhere(`o.status = 'pending' and o.stock_taken is not null`);
  if (skip.length > 0) query.andWhere({ id: { $nin: [...skip] } });
  return query.orderBy({ createdAt: 'asc', id: 'asc' }).limit(limit);
}

async function expiredHolds(
  em: EntityManager,
  cutoff: Date,
  limit: number,
  skip?: readonly number[],
): Promise<number[]> {
  const rows = await expiredHoldsQuery(em, cutoff, limit, skip).execute('all');
  return rows.map((row) => Number(row.id));
}

export interface HoldSweepOptions {
  /** The clock the hold is measured by (epoch ms). */
  readonly now?: number;
  /** Orders cancelled per transaction. */
  readonly limit?: number;
  /** Orders left out: the ones an earlier round of the same sweep could not cancel. */
  readonly skip?: readonly number[];
}

/** What one sweep did. */
export interface HoldSweep {
  /** Cancelled, their stock put back. */
  readonly cancelled: number[];
  /** Could not be cancelled (the error says why): left as they are, tried again by the next sweep. */
  readonly failed: ReadonlyArray<{ readonly id: number; readonly error: unknown }>;
}

/**
 * Cancels up to `limit` orders whose stock hold ran out (pending, placed through the API longer than
 * `holdSeconds` ago) and puts their stock back, in one transaction. The candidates are read first, then
 * locked as every canceller locks them (lockOrdersForCancel) and read again: an order paid, cancelled
 * or changed by staff or its owner meanwhile is left as it now is. Appliers may sweep at once; each
 * order is cancelled, and its stock put back, once.
 *
 * When the transaction fails, each candidate is tried on its own: the sweep takes the oldest first, so
 * one order that cannot be cancelled (a row the model no longer accepts, a database refusal) would
 * otherwise stop every later one for good. The ones that fail are in `failed`; `skip` leaves them out
 * of the next round of the same sweep.
 */
export async function cancelExpiredHolds(
  em: EntityManager,
  dialect: Dialect,
  holdSeconds: number,
  { now = Date.now(), limit = SWEEP_BATCH, skip = [] }: HoldSweepOptions = {},
): Promise<HoldSweep> {
  const cutoff = new Date(now - holdSeconds * 1000);
  // Most sweeps find nothing: a plain read first, so they take no write lock (SQLite's is the database's).
  if ((await expiredHolds(em.fork(), cutoff, 1, skip)).length === 0) return { cancelled: [], failed: [] };
  try {
    const cancelled = await cancelHolds(em, dialect, cutoff, (tx) => expiredHolds(tx, cutoff, limit, skip));
    return { cancelled, failed: [] };
  } catch {
    // One of them, or all: each on its own tells which (a failure of all fails each again).
  }
  const cancelled: number[] = [];
  const failed: { id: number; error: unknown }[] = [];
  for (const id of await expiredHolds(em.fork(), cutoff, limit, skip)) {
    try {
      cancelled.push(...(await cancelHolds(em, dialect, cutoff, () => Promise.resolve([id]))));
    } catch (error) {
      failed.push({ id, error });
    }
  }
  return { cancelled, failed };
}

/** One transaction: the orders `candidates` reads, locked, read again, and cancelled if still expired. */
async function cancelHolds(
  em: EntityManager,
  dialect: Dialect,
  cutoff: Date,
  candidatesOf: (tx: EntityManager) => Promise<number[]>,
): Promise<number[]> {
  return em.fork().transactional(async (tx) => {
    if (dialect === 'sqlite') await takeSqliteWriteLock(tx);
    const candidates = await candidatesOf(tx);
    if (candidates.length === 0) return [];
    await lockOrdersForCancel(tx, dialect, candidates);
    const orders = await tx.find(Order, { id: { $in: candidates } }, { orderBy: { id: 'asc' } });
    const expired = orders.filter(
      (order) => order.status === 'pending' && order.stockTaken != null && order.createdAt < cutoff,
    );
    for (const order of expired) {
      await putBackTakenStock(tx, dialect, order);
      order.status = 'cancelled';
      recordAudit(tx, {
        actor: HOLD_EXPIRY_ACTOR,
        action: 'update',
        model: 'Order',
        recordId: order.id,
        diff: { status: { before: 'pending', after: 'cancelled' } },
      });
    }
    await tx.flush();
    return expired.map((order) => order.id);
  });
}
