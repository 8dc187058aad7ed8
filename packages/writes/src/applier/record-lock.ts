import { LockMode } from '@mikro-orm/core';
import type { Dialect, EntityManager } from './handler.js';

/**
 * PostgreSQL: locks the row of record `id` of `entity` (SELECT ... FOR UPDATE) in the batch's
 * transaction, so that what is read of it next is its latest committed state and stays so until the
 * batch commits. An If-Match is checked after this: under read committed, an unlocked read shows the
 * row as it was before another writer's uncommitted change (an order taking stock, a staff save, the
 * hold sweep), the check passes, and the write's UPDATE then waits for that row and overwrites the
 * change it never saw. Taken here, the lock waits for that writer; the read after it sees its change.
 *
 * Lock order: this is the lock the write's own UPDATE or DELETE takes a few statements later in the
 * same transaction (for an order, the one the handler's prepare already holds), only taken before the
 * write's read-only checks; so it adds no lock order a write did not already have. A write refused with
 * 412 keeps it until the batch commits, as an applied write would. SQLite has one writer at a time
 * (the applier holds the write lock), so nothing changes under the read there.
 */
export async function lockRecord(
  em: EntityManager,
  dialect: Dialect,
  entity: string,
  id: number,
): Promise<void> {
  if (dialect !== 'postgresql') return;
  const meta = em.getMetadata().get(entity);
  const key = meta.primaryKeys[0]!;
  await em
    .createQueryBuilder(meta.className)
    .select([key])
    .where({ [key]: id })
    .setLockMode(LockMode.PESSIMISTIC_WRITE)
    .execute('all');
}
