/**
 * Entry point of the admin service (compiled to dist/src/main.js, started by `tandem start`).
 * Opens the ORM (no migrating: `tandem migrate`/`tandem start` do that), listens on config.host and
 * ADMIN_PORT, tells a parent process it is ready, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { loadConfigOrExit } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { openOrm } from '@tandem/models';
import { prepareAdminJsEnvironment } from './adminjs-env.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit('admin');
  const logger = createLogger('admin', config.logLevel);
  if (!prepareAdminJsEnvironment('serve')) {
    logger.warn(
      'the admin front-end bundle was not prebuilt (run `npm run build`); bundling it now, start-up will be slower',
    );
  }
  const { startAdmin, sessionSecret, AdminStartupError } = await import('./server.js');
  let secret;
  try {
    secret = sessionSecret(config, logger);
  } catch (error) {
    if (error instanceof AdminStartupError) {
      logger.fatal(error.message);
      process.stderr.write(`admin: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const orm = await openOrm(config.database);
  let server;
  try {
    server = await startAdmin(config, orm, logger, config.ports.admin, secret);
  } catch (error) {
    await orm.close(true);
    throw error;
  }
  logger.info({ url: server.adminUrl }, 'admin ready');
  process.send?.({ type: 'ready', service: 'admin', url: server.url });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'admin stopping');
    await server.close();
    await orm.close(true);
    process.exit(0);
  };
  process.once('SIGINT', (signal) => void stop(signal));
  process.once('SIGTERM', (signal) => void stop(signal));
  // Started by `tandem start` or a test (an IPC channel): stop with the parent, even one killed with SIGKILL.
  process.once('disconnect', () => void stop('parent exited'));
}

main().catch((error: unknown) => {
  process.stderr.write(`admin: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
