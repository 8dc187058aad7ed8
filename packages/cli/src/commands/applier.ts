import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger } from '@tandem/log';
import { Applier, openWriteSource } from '@tandem/writes';
import type { Command } from '../command.js';
import { stopRequested } from '../stop-requested.js';
import { openExistingOrm } from '../database.js';

/** What the supervisor and the log show as where this applier takes writes from. */
function queueLabel(redisUrl: string | undefined): string {
  return redisUrl === undefined ? 'table queue' : redisUrl.replace(/\/\/[^@/]*@/, '//***@');
}

/**
 * Applies the writes the fast service queued (issue 15) in the foreground until SIGINT/SIGTERM:
 * batches in one transaction, a savepoint per write, the outcome with the effect, acknowledged after
 * the commit. Run several for more throughput or availability: each holds its own queue partitions.
 * On SIGTERM it finishes the batch in hand, releases its partitions and exits 0.
 */
export const applierCommand: Command = {
  name: 'applier',
  summary: 'Apply the queued API writes (POST/PATCH/DELETE on the fast service) to the database.',
  usage: 'applier',
  async run(argv, { config, stdout }) {
    parseArgs({ args: argv, options: {}, strict: true });
    const logger = createLogger('applier', config.logLevel);
    const orm = await openExistingOrm(config);
    const consumer = `${hostname()}-${process.pid}`;
    const source = openWriteSource(config, orm, consumer);
    const applier = new Applier({
      orm,
      dialect: config.database.dialect,
      source,
      logger,
      batchSize: config.writes.batchSize,
      retentionSeconds: config.writes.retentionSeconds,
      orderHoldSeconds: config.writes.orderHoldSeconds,
      orderHoldMaxUnits: config.writes.orderHoldMaxUnits,
    });
    const running = applier.start();
    const queue = queueLabel(config.writes.redisUrl);
    stdout.write(
      `Applying writes to ${applier.collections.join(', ') || '(no collection takes writes)'} from ${config.writes.redisUrl === undefined ? 'the' : 'the Redis queue at'} ${queue} as ${consumer}. Ctrl-C stops.\n`,
    );
    const stop = stopRequested();
    process.send?.({ type: 'ready', service: 'applier', url: queue });
    const stopped = await Promise.race([
      running.then(() => 'ended' as const),
      stop.then(() => 'signal' as const),
    ]);
    await applier.stop();
    await source.close();
    await orm.close();
    logger.info({ ...applier.stats, stopped }, 'applier: stopped');
    // An open IPC channel keeps the event loop alive (see the relay).
    if (process.connected) process.disconnect();
    return 0;
  },
};
