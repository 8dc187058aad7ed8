import { purgeSpentSignIns, retireExpiredKeys } from '@tandem/tokens';
import type { AuthDeps } from './deps.js';

/** Spent sign-in rows are purged at most this often (a purge is two DELETEs over small tables). */
export const SIGN_IN_PURGE_INTERVAL_MS = 5 * 60 * 1000;

/**
 * Every SIGNING_KEY_REFRESH_SECONDS: retire previous keys whose tokens have all expired and reload the
 * key ring, so `tandem keys rotate` (another process) takes effect without a restart; and, on the first
 * round and then every SIGN_IN_PURGE_INTERVAL_MS, delete the authorization codes and browser sign-ins
 * nothing can use any more (purgeSpentSignIns). A failed round keeps the keys already in memory and is
 * retried next time; a failed purge is retried next round.
 */
export function startKeyMaintenance(deps: AuthDeps): { stop(): void; runOnce(): Promise<void> } {
  let lastPurgeAt = Number.NEGATIVE_INFINITY;
  const purge = async () => {
    if (Date.now() - lastPurgeAt < SIGN_IN_PURGE_INTERVAL_MS) return;
    try {
      const purged = await purgeSpentSignIns(deps.orm.em.fork());
      lastPurgeAt = Date.now();
      if (purged.codes + purged.loginSessions > 0) deps.logger.debug(purged, 'spent sign-ins purged');
    } catch (error) {
      deps.logger.error({ err: { message: (error as Error).message } }, 'purging spent sign-ins failed');
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
