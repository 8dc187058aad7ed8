import { MAX_ACCESS_TOKEN_TTL_SECONDS, MAX_TOKEN_LEEWAY_SECONDS } from '@tandem/config';
import { RefreshToken, Session, type Orm } from '@tandem/models';

type Em = Orm['em'];

/**
 * Sessions (with their refresh tokens) are deleted some time after they end, so `sessions` and
 * `refresh_tokens` do not grow forever. A session ends at its absolute expiry or after its idle
 * lifetime without use, for good: a refresh claims its token only while the session is live, and a
 * client's session is touched only just after it was read live, never one idle for longer than its
 * idle lifetime plus the margin below. Revoked sessions are kept like the others until they end, so
 * the admin still shows why they were revoked, and until the margin has passed since their
 * revocation too: a session revoked after it ended is not deleted while the revocation is that recent
 * (more than fast needs: it remembers a revocation from min(expires_at, revoked_at), @tandem/changefeed
 * revocation-window.ts, but the admin's list of recent revocations keeps it). One that ended by idleness may go before its expires_at +
 * margin, the time fast would keep a revocation of its row: no token of it was issued after its idle
 * end, and its deletion reaches fast as a revocation of its own (kept for the same window).
 */

/** Sessions deleted per statement (one transaction each, so locks stay short). */
export const ENDED_SESSION_BATCH = 500;
/** Batches per purge: bounded work per maintenance round; the rest waits for the next round. */
export const ENDED_SESSION_MAX_BATCHES = 20;

/**
 * How long an ended session is kept: the change feed's retention (CHANGE_RETENTION_SECONDS) or the
 * longest life any access token can have past its session's end (the largest ACCESS_TOKEN_TTL_SECONDS
 * plus the largest TOKEN_LEEWAY_SECONDS any verifier may be configured with), whichever is longer.
 * Every access token of a session is issued while it is live, so once this has passed since its end
 * no token of it is accepted anywhere, and its deletion cannot let one through: fast treats a deleted
 * session as revoked only while its outbox delete event is kept (see @tandem/changefeed
 * deleted-sessions.ts), and by then there is nothing left to refuse.
 */
export function endedSessionKeepSeconds(changeRetentionSeconds: number): number {
  return Math.max(changeRetentionSeconds, MAX_ACCESS_TOKEN_TTL_SECONDS + MAX_TOKEN_LEEWAY_SECONDS);
}

export interface EndedSessionPurgeSettings {
  /** SESSION_IDLE_TTL_SECONDS: a session unused this long has ended. */
  readonly idleTtlSeconds: number;
  /** How long past its end a session is kept (endedSessionKeepSeconds). */
  readonly keepSeconds: number;
  readonly batchSize?: number;
  readonly maxBatches?: number;
}

export interface EndedSessionPurge {
  readonly sessions: number;
  readonly refreshTokens: number;
  /** The last batch was full: more ended sessions wait for the next round. */
  readonly more: boolean;
}

/**
 * Deletes sessions that ended more than `keepSeconds` ago, and their refresh tokens, in batches of
 * `batchSize` ids, at most `maxBatches` per call. Each batch is one transaction whose DELETEs repeat
 * the "ended" condition, so a session is deleted only if it has ended when the DELETE runs (a live
 * session is never deleted, whatever happened since the ids were read). Idempotent: several auth
 * instances purging at once only repeat each other.
 */
export async function purgeEndedSessions(
  em: Em,
  settings: EndedSessionPurgeSettings,
  now: Date = new Date(),
): Promise<EndedSessionPurge> {
  const batchSize = settings.batchSize ?? ENDED_SESSION_BATCH;
  const maxBatches = settings.maxBatches ?? ENDED_SESSION_MAX_BATCHES;
  const endedBefore = new Date(now.getTime() - settings.keepSeconds * 1000);
  const unusedSince = new Date(endedBefore.getTime() - settings.idleTtlSeconds * 1000);
  // A new object per query: the ORM may rewrite the conditions it is given.
  const ended = () => ({
    $and: [
      { $or: [{ expiresAt: { $lt: endedBefore } }, { lastUsedAt: { $lt: unusedSince } }] },
      { $or: [{ revokedAt: null }, { revokedAt: { $lt: endedBefore } }] },
    ],
  });
  let sessions = 0;
  let refreshTokens = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const rows = await em
      .fork()
      .createQueryBuilder(Session, 's')
      .select('s.id')
      .where(ended())
      .limit(batchSize)
      .execute<{ id: string }[]>('all');
    const ids = rows.map((row) => row.id);
    if (ids.length === 0) return { sessions, refreshTokens, more: false };
    const deleted = await em.fork().transactional(async (tx) => {
      const doomed = tx
        .createQueryBuilder(Session, 'd')
        .select('d.id')
        .where({ id: { $in: ids }, ...ended() });
      // Explicitly, not by ON DELETE CASCADE alone: SQLite enforces foreign keys only when asked to.
      const tokens = await tx
        .createQueryBuilder(RefreshToken)
        .delete()
        .where({ session: { $in: doomed.getKnexQuery() } })
        .execute('run');
      return {
        tokens: tokens.affectedRows,
        sessions: await tx.nativeDelete(Session, { id: { $in: ids }, ...ended() }),
      };
    });
    sessions += deleted.sessions;
    refreshTokens += deleted.tokens;
    if (ids.length < batchSize) return { sessions, refreshTokens, more: false };
  }
  return { sessions, refreshTokens, more: true };
}
