import { Write } from '@tandem/models';
import { IDEMPOTENCY_TTL_SECONDS } from '../redis-queue.js';
import type { EntityManager } from './handler.js';

export interface PurgeResult {
  /** Outcome rows whose Idempotency-Key was released (accepted longer ago than Redis keeps keys: 24 h). */
  readonly keysReleased: number;
  /** Outcome rows deleted (accepted longer ago than the retention). */
  readonly deleted: number;
}

/**
 * The `writes` table's upkeep, run by the appliers every hour: a key older than the idempotency window
 * is released (the table queue's unique (subject, key) would otherwise refuse its reuse as a retry),
 * and outcomes older than WRITE_RETENTION_SECONDS are deleted (their deletion reaches the fast
 * services through the feed). Queued writes are never touched. Idempotent: appliers may run it at once.
 */
export async function purgeWrites(
  em: EntityManager,
  retentionSeconds: number,
  now = Date.now(),
): Promise<PurgeResult> {
  const settled = { $ne: 'queued' as const };
  const keysReleased = await em.nativeUpdate(
    Write,
    {
      acceptedAt: { $lt: new Date(now - IDEMPOTENCY_TTL_SECONDS * 1000) },
      idempotencyKey: { $ne: null },
      status: settled,
    },
    { idempotencyKey: null },
  );
  const deleted = await em.nativeDelete(Write, {
    acceptedAt: { $lt: new Date(now - retentionSeconds * 1000) },
    status: settled,
  });
  return { keysReleased, deleted };
}
