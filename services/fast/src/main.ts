import { loadConfig, redactDatabaseUrl } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { openOrm } from '@tandem/models';
import { assertNativeUws } from './native.js';
import { startFast } from './server.js';

// Before anything else: a fast service on uWebSockets.js's JavaScript fallback would be slow silently.
try {
  assertNativeUws();
} catch (error) {
  process.stderr.write(`tandem fast: ${(error as Error).message}\n`);
  process.exit(78);
}

const config = loadConfig();
const logger = createLogger('fast', config.logLevel);
const orm = await openOrm(config.database);
const server = await startFast(config, orm, logger);
logger.info({ url: server.url, database: redactDatabaseUrl(config.database) }, 'fast service listening; loading snapshot');
await server.ready;
logger.info({ url: server.url }, 'fast service ready');
process.send?.({ type: 'ready', service: 'fast', url: server.url });

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'fast service stopping');
  await server.close();
  await orm.close(true);
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
