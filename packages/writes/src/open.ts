import type { Config } from '@tandem/config';
import type { Orm } from '@tandem/models';
import type { WriteQueue, WriteSource } from './queue.js';
import { RedisWriteQueue } from './redis-queue.js';
import { RedisWriteSource } from './redis-queue-source.js';
import { TableWriteQueue } from './table-queue.js';
import { AdvisoryPartitionLocks } from './table-queue-locks.js';
import { highestWriteId } from './table-queue-rows.js';
import { TableWriteSource } from './table-queue-source.js';

/** The change feed's PostgreSQL channel (@tandem/changefeed): every insert into `writes` notifies it. */
const CHANGE_CHANNEL = 'tandem_change';
/** SQLite: how often an idle applier looks for queued rows; PostgreSQL: the fallback to notifications. */
const SQLITE_POLL_MS = 10;
const POSTGRES_POLL_MS = 250;

/** The fast service's queue: Redis Streams when REDIS_URL is set, else the `writes` table. */
export function openWriteQueue(config: Pick<Config, 'writes' | 'database'>, orm: Orm): WriteQueue {
  const { writes, database } = config;
  const knex = orm.em.getKnex();
  if (writes.redisUrl !== undefined)
    return new RedisWriteQueue({
      redisUrl: writes.redisUrl,
      keyPrefix: writes.redisKeyPrefix,
      partitions: writes.partitions,
      maxDepth: writes.maxQueueDepth,
      highestRecordedId: () => highestWriteId(knex),
    });
  return new TableWriteQueue(knex, database.dialect, {
    partitions: writes.partitions,
    maxDepth: writes.maxQueueDepth,
  });
}

/** The applier's source; `consumerName` must be unique per applier process (e.g. `${hostname}-${pid}`). */
export function openWriteSource(
  config: Pick<Config, 'writes' | 'database'>,
  orm: Orm,
  consumerName: string,
): WriteSource {
  const { writes, database } = config;
  if (writes.redisUrl !== undefined)
    return new RedisWriteSource({
      redisUrl: writes.redisUrl,
      keyPrefix: writes.redisKeyPrefix,
      partitions: writes.partitions,
      leaseMs: writes.partitionLeaseMs,
      consumer: consumerName,
    });
  const knex = orm.em.getKnex();
  if (database.dialect === 'postgresql') {
    let source: TableWriteSource | undefined = undefined;
    const locks = new AdvisoryPartitionLocks(
      database.url,
      writes.partitions,
      Math.max(100, Math.floor(writes.partitionLeaseMs / 3)),
      () => source?.wake(),
      CHANGE_CHANNEL,
    );
    source = new TableWriteSource(knex, { partitions: writes.partitions, pollMs: POSTGRES_POLL_MS }, locks);
    return source;
  }
  return new TableWriteSource(knex, { partitions: writes.partitions, pollMs: SQLITE_POLL_MS }, undefined);
}
