import { demoOrder, type Orm } from '@tandem/models';
import { insertInBatches, storedValues } from './batches.js';

export interface OrderBatchPlan {
  readonly dialect: 'sqlite' | 'postgresql';
  /** Demo order number of the first new order (it decides the order's content). */
  readonly firstNumber: number;
  readonly count: number;
  /** The owners: order i goes to owners[i % owners.length], so each gets count / owners orders (±1). */
  readonly owners: readonly number[];
  /** Lines name product ids 1..productCount. */
  readonly productCount: number;
  readonly onProgress?: (inserted: number) => void;
}

/**
 * Inserts demo orders in batches. Each row fires the orders table's change-capture trigger, as a
 * product does: the outbox grows by one row per order and is pruned after CHANGE_RETENTION_SECONDS; a
 * fast node started afterwards loads one snapshot and skips them.
 */
export async function insertDemoOrders(orm: Orm, plan: OrderBatchPlan): Promise<void> {
  const { date } = storedValues(plan.dialect);
  const now = new Date();
  await insertInBatches(orm.em.getKnex(), {
    count: plan.count,
    onProgress: plan.onProgress,
    insert: (trx, rows) => trx.insert(rows).into('orders'),
    row: (index) => {
      const order = demoOrder(plan.firstNumber + index, plan.productCount, now);
      return {
        user_id: plan.owners[index % plan.owners.length]!,
        status: order.status,
        currency: order.currency,
        total_cents: order.totalCents,
        lines: JSON.stringify(order.lines),
        created_at: date(order.createdAt),
        updated_at: date(order.updatedAt),
      };
    },
  });
}
