import { loadConfigOrExit, redactDatabaseUrl } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { openOrm, type Orm } from '@tandem/models';
import { assertNativeUws } from './native.js';
import { startFast, type FastServer } from './server.js';

/** Entry point of the fast service (`node dist/src/main.js`, started by `tandem start`). */
async function main(): Promise<void> {
  // Before anything else: on uWebSockets.js's JavaScript fallback the service would be slow, silently.
  try {
    assertNativeUws();
  } catch (error) {
    process.stderr.write(`fast: ${(error as Error).message}\n`);
    process.exit(78);
  }
  const config = loadConfigOrExit('fast');
  const logger = createLogger('fast', config.logLevel);
  let orm: Orm | undefined;
  let server: FastServer;
  try {
    // Metadata only (to compile the hot projections); the change feed opens its own connections, and
    // with FEED=redis a replica holds no database connection at all between snapshots.
    orm = await openOrm(config.database, { connect: false });
    server = await startFast(config, orm, logger);
  } catch (error) {
    logger.fatal({ err: { message: (error as Error).message } }, 'fast service failed to start');
    await orm?.close(true).catch(() => undefined);
    process.exit(1);
  }
  logger.info(
    { url: server.url, database: redactDatabaseUrl(config.database) },
    'fast service listening; loading snapshot',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'fast service stopping');
    try {
      await server.close();
      await orm?.close(true);
      process.exit(0);
    } catch (error) {
      logger.error({ err: { message: (error as Error).message } }, 'fast service did not stop cleanly');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Started by `tandem start` or a test (an IPC channel): stop with the parent, even one killed with SIGKILL.
  process.once('disconnect', () => void stop('parent exited'));

  // Ready only once the snapshot is loaded: until then /healthz says 503 and /v1 answers 503.
  await server.ready;
  const status = server.feed.status();
  logger.info(
    {
      url: server.url,
      position: status.position,
      records: Object.fromEntries([...server.store.collections].map(([n, c]) => [n, c.size])),
    },
    'fast service ready',
  );
  // Data is ready; without the issuer's keys every token is refused, so /healthz stays 503 until then.
  if (server.jwks.size === 0)
    logger.warn(
      { err: server.jwks.lastError ?? null },
      'no signing keys yet: /healthz answers 503 until the JWKS is fetched',
    );
  process.send?.({ type: 'ready', service: 'fast', url: server.url });
}

await main();
