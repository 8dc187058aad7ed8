import { retireExpiredKeys } from '@tandem/tokens';
import type { AuthDeps } from './deps.js';

/**
 * Every SIGNING_KEY_REFRESH_SECONDS: retire previous keys whose tokens have all expired and reload the
 * key ring, so `tandem keys rotate` (another process) takes effect without a restart. A failed round
 * keeps the keys already in memory and is retried next time.
 */
export function startKeyMaintenance(deps: AuthDeps): { stop(): void; runOnce(): Promise<void> } {
  const runOnce = async () => {
    try {
      const retired = await retireExpiredKeys(deps.orm.em);
      if (retired.length > 0) deps.logger.info({ kids: retired }, 'signing keys retired');
      await deps.keys.refresh(deps.orm.em);
    } catch (error) {
      deps.logger.error({ err: { message: (error as Error).message } }, 'signing key refresh failed');
    }
  };
  const timer = setInterval(() => void runOnce(), deps.config.tokens.signingKeyRefreshSeconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
