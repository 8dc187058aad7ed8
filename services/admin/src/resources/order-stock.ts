import { Order, type Orm } from '@tandem/models';
import { lockOrdersForCancel, putBackTakenStock } from '@tandem/writes';
import { isPostgres } from '../orm/dialect.js';
import { ValidationError, type OrmResourceSpec } from '../orm/resource.js';

/** Statuses a cancel by staff puts stock back from: the goods have not left. */
const NOT_SHIPPED: readonly unknown[] = ['pending', 'paid'];

const STAYS_CANCELLED =
  'A cancelled order stays cancelled: the stock it held went back when it was cancelled, and may be ' +
  'sold by now. Create a new order instead.';

/**
 * An order cancelled or deleted here puts back what placing it through the API took (its `stockTaken`),
 * as the owner's cancel through the API does, with the same function and in the same transaction as the
 * change and its audit entry. Without it, an order staff cancelled held its stock for ever. A cancelled
 * order is not reopened: what it held is back in stock (the owner, staff, or the hold's expiry put it
 * back), so its goods would be sold twice.
 */
export function orderStock(orm: Orm): Pick<OrmResourceSpec, 'lockBeforeWrite' | 'onWrite'> {
  const dialect = isPostgres(orm) ? 'postgresql' : 'sqlite';
  // The admin's transaction runs on the ORM's SQL entity manager; its type is the core one here.
  const sql = (em: unknown) => em as Orm['em'];
  return {
    lockBeforeWrite: (em, ids) => lockOrdersForCancel(sql(em), dialect, ids.map(Number)),
    async onWrite(em, change) {
      // Reopened (a buyer paying after the hold ran out): its goods would be sold without their stock.
      if (
        change.mode === 'update' &&
        change.before?.status === 'cancelled' &&
        change.after?.status !== 'cancelled'
      )
        throw new ValidationError(
          { status: { type: 'stays_cancelled', message: STAYS_CANCELLED } },
          { type: 'stays_cancelled', message: STAYS_CANCELLED },
        );
      // Cancelled, or deleted (which cancels it too), while its goods are still here.
      const ends =
        change.mode === 'delete' || (change.mode === 'update' && change.after?.status === 'cancelled');
      if (!ends || !NOT_SHIPPED.includes(change.before?.status)) return;
      await putBackTakenStock(sql(em), dialect, await em.findOneOrFail(Order, change.id as number));
    },
  };
}
