import type { DatabaseTarget, FeedConfig } from '@tandem/config';
import { PostgresSource } from './postgres-source.js';
import { RedisStreamSource } from './redis-source.js';
import type { CompiledProjection } from './projection.js';
import { SqliteSource } from './sqlite-source.js';
import type { FeedSource } from './types.js';

/** The database's own source; with FEED=redis, the Redis Stream (snapshots still come from the database). */
export function openFeedSource(
  target: DatabaseTarget,
  projections: readonly CompiledProjection[],
  feed?: Pick<FeedConfig, 'source' | 'redis'>,
): FeedSource {
  const database = () =>
    target.dialect === 'postgresql'
      ? new PostgresSource(target.url, projections)
      : new SqliteSource(target.path, projections);
  if (feed?.source === 'redis' && feed.redis.url)
    return new RedisStreamSource(database, feed.redis.url, feed.redis.streamKey);
  return database();
}
