import { missingNodeFlags, redactDatabaseUrl } from '@tandem/config';
import { openMetricsWarning, runService } from '@tandem/service';
import { assertNativeUws } from './native.js';
import { setProcessPriority } from './process-priority.js';
import { startFast } from './server.js';

/** Entry point of the fast service (`node dist/src/main.js`, started by `tandem start`). */
// Before anything else: on uWebSockets.js's JavaScript fallback the service would be slow, silently.
try {
  assertNativeUws();
} catch (error) {
  process.stderr.write(`fast: ${(error as Error).message}\n`);
  process.exit(78);
}

await runService({
  name: 'fast',
  // Metadata only (to compile the hot projections); the change feed opens its own connections, and
  // with FEED=redis a replica holds no database connection at all between snapshots.
  orm: { connect: false },
  // Before anything is opened: a priority that cannot be had stops start-up (see FAST_NICE).
  prepare(config, logger) {
    const missing = missingNodeFlags('fast');
    if (missing.length > 0)
      logger.warn(
        { missing },
        'started without the Node.js flags fast is meant to run with (see @tandem/config NODE_FLAGS): expect full garbage collections of the hot data whenever traffic pauses',
      );
    const open = openMetricsWarning(config);
    if (open) logger.warn(open);
    if (config.fast.nice === undefined) return;
    setProcessPriority(config.fast.nice);
    logger.info({ nice: config.fast.nice }, 'fast service priority set');
  },
  start: startFast,
  // Ready once the snapshot is loaded: until then /healthz and /v1 answer 503.
  async ready(server, { config, logger }) {
    logger.info(
      { url: server.url, database: redactDatabaseUrl(config.database) },
      'fast service listening; loading snapshot',
    );
    await server.ready;
    // Data is ready; without the issuer's keys every token is refused, so /healthz stays 503 until then.
    if (server.jwks.size === 0)
      logger.warn(
        { err: server.jwks.lastError ?? null },
        'no signing keys yet: /healthz answers 503 until the JWKS is fetched',
      );
    return {
      position: server.feed.status().position,
      records: Object.fromEntries([...server.store.collections].map(([n, c]) => [n, c.size])),
    };
  },
});
