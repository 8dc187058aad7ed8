import { Order, isPostgres, type Orm } from '@tandem/models';
import { lockOrdersForCancel, putBackTakenStock } from '@tandem/writes';
import { ValidationError, type OrmResourceSpec } from '../orm/resource.js';

/** Statuses a cancel by staff puts stock back from: the goods have not left. */
const NOT_SHIPPED: readonly unknown[] = ['pending', 'paid'];

const STAYS_CANCELLED =
  'A cancelled order stays cancelled: the stock it held went back when it was cancelled, and may be ' +
  'sold by now. Create a new order instead.';

const STAYS_SHIPPED =
  'A shipped order stays shipped (or is cancelled, which puts nothing back): its goods have left, and ' +
  'as pending or paid it would put their stock back when cancelled, or when its unpaid hold ran out.';

function refused(type: string, message: string): ValidationError {
  return new ValidationError({ status: { type, message } }, { type, message });
}

/**
 * An order cancelled or deleted here puts back what placing it through the API took (its `stockTaken`),
 * as the owner's cancel through the API does, with the same function and in the same transaction as the
 * change and its audit entry. Without it, an order staff cancelled held its stock for ever. A cancelled
 * order is not reopened: what it held is back in stock (the owner, staff, or the hold's expiry put it
 * back), so its goods would be sold twice. A shipped order does not go back to pending or paid: its goods
 * have left, and from there a cancel or the hold's sweep would put their stock back.
 */
export function orderStock(orm: Orm): Pick<OrmResourceSpec, 'lockBeforeWrite' | 'onWrite'> {
  const dialect = isPostgres(orm) ? 'postgresql' : 'sqlite';
  // The admin's transaction runs on the ORM's SQL entity manager; its type is the core one here.
  const sql = (em: unknown) => em as Orm['em'];
  return {
    lockBeforeWrite: (em, ids) => lockOrdersForCancel(sql(em), dialect, ids.map(Number)),
    async onWrite(em, change) {
      const from = change.before?.status;
      const to = change.after?.status;
      if (change.mode === 'update' && from !== to) {
        // Reopened (a buyer paying after the hold ran out): its goods would be sold without their stock.
        if (from === 'cancelled') throw refused('stays_cancelled', STAYS_CANCELLED);
        // Back to pending or paid: a later cancel, or the hold's sweep, would put back goods that left.
        if (from === 'shipped' && to !== 'cancelled') throw refused('stays_shipped', STAYS_SHIPPED);
      }
      // Cancelled, or deleted (which cancels it too), while its goods are still here.
      const ends =
        change.mode === 'delete' || (change.mode === 'update' && change.after?.status === 'cancelled');
      if (!ends || !NOT_SHIPPED.includes(change.before?.status)) return;
      await putBackTakenStock(sql(em), dialect, await em.findOneOrFail(Order, change.id as number));
    },
  };
}
