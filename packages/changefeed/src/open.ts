import type { DatabaseTarget, FeedConfig } from '@tandem/config';
import { PostgresSource } from './postgres-source.js';
import { RedisStreamSource } from './redis-source.js';
import type { CompiledProjection } from './projection.js';
import { SqliteSource } from './sqlite-source.js';
import type { FeedSource } from './types.js';

function databaseSource(
  target: DatabaseTarget,
  projections: readonly CompiledProjection[],
  readAhead: boolean,
): FeedSource {
  return target.dialect === 'postgresql'
    ? new PostgresSource(target.url, projections, { readAhead })
    : new SqliteSource(target.path, projections);
}

/** The database's own source; with FEED=redis, the Redis Stream (snapshots still come from the database). */
export function openFeedSource(
  target: DatabaseTarget,
  projections: readonly CompiledProjection[],
  feed?: Pick<FeedConfig, 'source' | 'redis'>,
): FeedSource {
  const database = () => databaseSource(target, projections, true);
  if (feed?.source === 'redis' && feed.redis.url)
    return new RedisStreamSource(database, feed.redis.url, feed.redis.streamKey);
  return database();
}

/**
 * The database's source as the Redis relay reads it: on PostgreSQL without reading ahead, since a
 * stream entry is named by the watermark it ends at, and ids must grow from entry to entry.
 */
export function openRelaySource(
  target: DatabaseTarget,
  projections: readonly CompiledProjection[],
): FeedSource {
  return databaseSource(target, projections, false);
}
