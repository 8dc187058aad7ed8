import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { compileProjections, openRelaySource, StreamRelay } from '@tandem/changefeed';
import { createLogger } from '@tandem/log';
import { hotProjections } from '@tandem/models';
import { CommandError, type Command } from '../command.js';
import { stopRequested } from '../stop-requested.js';
import { openExistingOrm } from '../database.js';

/**
 * Runs the outbox → Redis Stream relay in the foreground until SIGINT/SIGTERM. Fast replicas started
 * with FEED=redis read that stream instead of each tailing the database. Safe to run twice: one holds
 * the lock and relays, the other stands by.
 */
export const relayCommand: Command = {
  name: 'relay',
  summary: 'Relay the change feed from the database to the Redis Stream (for FEED=redis fast replicas).',
  usage: 'relay',
  async run(argv, { config, stdout }) {
    parseArgs({ args: argv, options: {}, strict: true });
    const { url, streamKey, streamMaxLen } = config.feed.redis;
    if (!url)
      throw new CommandError(
        'REDIS_URL is not set: the relay writes to a Redis Stream (e.g. REDIS_URL=redis://127.0.0.1:6379).',
      );
    const logger = createLogger('relay', config.logLevel);
    // Metadata only (to compile the hot projections): the relay's reads go through the feed source.
    const orm = await openExistingOrm(config, { connect: false });
    const projections = compileProjections(
      hotProjections,
      (name) => orm.getMetadata().find(name) ?? undefined,
      config.database.dialect,
    );
    const redis = new Redis(url, { maxRetriesPerRequest: 3 });
    redis.on('error', (error) => logger.warn({ err: error.message }, 'relay: redis error'));
    const relay = new StreamRelay(() => openRelaySource(config.database, projections), redis, {
      ...config.feed,
      streamKey,
      maxLen: streamMaxLen,
      logger,
    });
    relay.start();
    stdout.write(
      `Relaying changes to ${streamKey} on ${url.replace(/\/\/[^@/]*@/, '//***@')}. Ctrl-C stops.\n`,
    );
    const stop = stopRequested();
    process.send?.({ type: 'ready', service: 'relay', url: url.replace(/\/\/[^@/]*@/, '//***@') });
    await stop;
    await relay.close();
    redis.disconnect();
    await orm.close();
    // An open IPC channel keeps the event loop alive: without this a relay stopped by SIGTERM under
    // `tandem start` stayed up until its parent went away (or the stop grace ran out and it was killed).
    if (process.connected) process.disconnect();
    return 0;
  },
};
