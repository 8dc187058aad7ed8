import { loadConfigOrExit } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { openOrm, type Orm } from '@tandem/models';
import { startAuth, type AuthServer } from './server.js';

/** Entry point of the auth service (`node dist/src/main.js`, started by `tandem start`). */
async function main(): Promise<void> {
  const config = loadConfigOrExit('auth');
  const logger = createLogger('auth', config.logLevel);
  let orm: Orm | undefined;
  let server: AuthServer;
  try {
    orm = await openOrm(config.database);
    server = await startAuth({ config, orm, logger });
  } catch (error) {
    logger.fatal({ err: { message: (error as Error).message } }, 'auth service failed to start');
    await orm?.close(true).catch(() => undefined);
    process.exit(1);
  }
  logger.info({ url: server.url, issuer: server.issuer }, 'auth service ready');
  process.send?.({ type: 'ready', service: 'auth', url: server.url });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'auth service stopping');
    try {
      await server.close();
      await orm?.close(true);
      process.exit(0);
    } catch (error) {
      logger.error({ err: { message: (error as Error).message } }, 'auth service did not stop cleanly');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Started by `tandem start` or a test (an IPC channel): stop with the parent, even one killed with SIGKILL.
  process.once('disconnect', () => void stop('parent exited'));
}

await main();
