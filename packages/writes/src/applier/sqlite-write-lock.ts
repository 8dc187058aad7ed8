import type { EntityManager } from './handler.js';

/**
 * SQLite: takes the database's write lock before a transaction (an applier's batch, a sweep, an admin
 * save) reads anything. A deferred transaction that reads first and writes later fails at once with
 * SQLITE_BUSY (no busy wait) when another process committed in between; holding the write lock from
 * the start makes appliers, the fast service's table queue and the admin queue up behind busy_timeout
 * instead. An UPDATE takes the lock even when it matches no row.
 */
export async function takeSqliteWriteLock(em: EntityManager): Promise<void> {
  await em
    .getConnection()
    .execute('update writes set id = id where id = -1', [], 'run', em.getTransactionContext());
}
