import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { hotProjections } from '@tandem/models';
import type { MigratedTestDatabase } from '@tandem/models/testing';
import {
  compileProjections,
  openFeedSource,
  openRelaySource,
  RedisStreamSource,
  StreamRelay,
  type ChangeFeedOptions,
  type CompiledProjection,
} from '../src/index.js';
import { FAST_OPTIONS, eventually } from './helpers.js';

export const REDIS_URL = process.env.REDIS_URL;
export const REDIS_SKIP = REDIS_URL
  ? false
  : 'REDIS_URL is not set: the Redis Stream suite needs a real Redis';

/** A stream key no other test (or run) uses. */
export function uniqueStreamKey(): string {
  return `tandem-test:${randomBytes(6).toString('hex')}:changes`;
}

export function projectionsFor(db: MigratedTestDatabase): CompiledProjection[] {
  return compileProjections(
    hotProjections,
    (name) => db.orm.getMetadata().find(name) ?? undefined,
    db.target.dialect,
  );
}

export function startRelay(
  db: MigratedTestDatabase,
  redisUrl: string,
  streamKey: string,
  lockTtlMs = 1000,
  options: Partial<ChangeFeedOptions> = {},
) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const projections = projectionsFor(db);
  const relay = new StreamRelay(() => openRelaySource(db.target, projections), redis, {
    ...FAST_OPTIONS,
    ...options,
    streamKey,
    maxLen: 10_000,
    lockTtlMs,
  });
  relay.start();
  return {
    relay,
    /** Resolves once the relay holds the lock and knows where the stream stands. */
    ready: () =>
      eventually('the relay is active', () => relay.status().active && relay.status().written !== undefined),
    async close() {
      await relay.close();
      redis.disconnect();
    },
  };
}

export function redisSource(db: MigratedTestDatabase, redisUrl: string, streamKey: string) {
  return (projections: readonly CompiledProjection[]) =>
    new RedisStreamSource(() => openFeedSource(db.target, projections), redisUrl, streamKey);
}
