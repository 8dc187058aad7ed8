import { Order, type Orm } from '@tandem/models';
import { lockOrdersForCancel, putBackTakenStock } from '@tandem/writes';
import { isPostgres } from '../orm/dialect.js';
import type { OrmResourceSpec } from '../orm/resource.js';

/** Statuses a cancel by staff puts stock back from: the goods have not left. */
const NOT_SHIPPED: readonly unknown[] = ['pending', 'paid'];

/**
 * An order cancelled or deleted here puts back what placing it through the API took (its `stockTaken`),
 * as the owner's cancel through the API does, with the same function and in the same transaction as the
 * change and its audit entry. Without it, an order staff cancelled held its stock for ever.
 */
export function orderStock(orm: Orm): Pick<OrmResourceSpec, 'lockBeforeWrite' | 'onWrite'> {
  const dialect = isPostgres(orm) ? 'postgresql' : 'sqlite';
  // The admin's transaction runs on the ORM's SQL entity manager; its type is the core one here.
  const sql = (em: unknown) => em as Orm['em'];
  return {
    lockBeforeWrite: (em, ids) => lockOrdersForCancel(sql(em), dialect, ids.map(Number)),
    async onWrite(em, change) {
      // Cancelled, or deleted (which cancels it too), while its goods are still here.
      const ends =
        change.mode === 'delete' || (change.mode === 'update' && change.after?.status === 'cancelled');
      if (!ends || !NOT_SHIPPED.includes(change.before?.status)) return;
      await putBackTakenStock(sql(em), dialect, await em.findOneOrFail(Order, change.id as number));
    },
  };
}
