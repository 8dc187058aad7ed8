import {
  endedSessionKeepSeconds,
  purgeEndedSessions,
  purgeSpentSignIns,
  retireExpiredKeys,
} from '@tandem/tokens';
import type { AuthDeps } from './deps.js';

/** Spent sign-ins and ended sessions are purged at most this often (bounded DELETEs, see below). */
export const SIGN_IN_PURGE_INTERVAL_MS = 5 * 60 * 1000;

/**
 * Every SIGNING_KEY_REFRESH_SECONDS: retire previous keys whose tokens have all expired and reload the
 * key ring, so `tandem keys rotate` (another process) takes effect without a restart; and, on the first
 * round and then every SIGN_IN_PURGE_INTERVAL_MS, delete the authorization codes and browser sign-ins
 * nothing can use any more (purgeSpentSignIns), and the sessions (with their refresh tokens) that
 * ended longer ago than any of their access tokens or the change feed can need them
 * (purgeEndedSessions: at most ENDED_SESSION_BATCH x ENDED_SESSION_MAX_BATCHES per round; when more
 * are left the next round continues without waiting for the interval). A failed round keeps the keys
 * already in memory and is retried next time; a failed purge is retried next round.
 */
export function startKeyMaintenance(deps: AuthDeps): { stop(): void; runOnce(): Promise<void> } {
  let lastPurgeAt = Number.NEGATIVE_INFINITY;
  let sessionsLeft = false;
  const purge = async () => {
    if (!sessionsLeft && Date.now() - lastPurgeAt < SIGN_IN_PURGE_INTERVAL_MS) return;
    try {
      const purged = await purgeSpentSignIns(deps.orm.em.fork());
      const ended = await purgeEndedSessions(deps.orm.em, {
        idleTtlSeconds: deps.config.tokens.sessionIdleTtlSeconds,
        keepSeconds: endedSessionKeepSeconds(deps.config.feed.retentionSeconds),
      });
      lastPurgeAt = Date.now();
      sessionsLeft = ended.more;
      if (purged.codes + purged.loginSessions + ended.sessions > 0)
        deps.logger.debug(
          { ...purged, sessions: ended.sessions, refreshTokens: ended.refreshTokens, more: ended.more },
          'spent sign-ins and ended sessions purged',
        );
    } catch (error) {
      deps.logger.error(
        { err: { message: (error as Error).message } },
        'purging spent sign-ins or ended sessions failed',
      );
    }
  };
  const runOnce = async () => {
    try {
      const retired = await retireExpiredKeys(deps.orm.em);
      if (retired.length > 0) deps.logger.info({ kids: retired }, 'signing keys retired');
      await deps.keys.refresh(deps.orm.em);
    } catch (error) {
      deps.logger.error({ err: { message: (error as Error).message } }, 'signing key refresh failed');
    }
    await purge();
  };
  const timer = setInterval(() => void runOnce(), deps.config.tokens.signingKeyRefreshSeconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
