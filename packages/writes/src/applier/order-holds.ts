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
export function expiredHoldsQuery(em: EntityManager, cutoff: Date, limit: number) {
  return em
    .createQueryBuilder(Order, 'o')
    .select(['id'])
    .where({ createdAt: { $lt: cutoff } })
    .andWhere(`o.status = 'pending' and o.stock_taken is not null`)
    .orderBy({ createdAt: 'asc', id: 'asc' })
    .limit(limit);
}

async function expiredHolds(em: EntityManager, cutoff: Date, limit: number): Promise<number[]> {
  const rows = await expiredHoldsQuery(em, cutoff, limit).execute('all');
  return rows.map((row) => Number(row.id));
}

/**
 * Cancels up to `limit` orders whose stock hold ran out (pending, placed through the API longer than
 * `holdSeconds` ago) and puts their stock back, in one transaction; returns their ids. The candidates
 * are read first, then locked as every canceller locks them (lockOrdersForCancel) and read again: an
 * order paid, cancelled or changed by staff or its owner meanwhile is left as it now is. Appliers may
 * sweep at once; each order is cancelled, and its stock put back, once.
 */
export async function cancelExpiredHolds(
  em: EntityManager,
  dialect: Dialect,
  holdSeconds: number,
  now = Date.now(),
  limit = SWEEP_BATCH,
): Promise<number[]> {
  const cutoff = new Date(now - holdSeconds * 1000);
  // Most sweeps find nothing: a plain read first, so they take no write lock (SQLite's is the database's).
  if ((await expiredHolds(em.fork(), cutoff, 1)).length === 0) return [];
  return em.fork().transactional(async (tx) => {
    if (dialect === 'sqlite') await takeSqliteWriteLock(tx);
    const candidates = await expiredHolds(tx, cutoff, limit);
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
