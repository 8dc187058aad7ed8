import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Config, WritesConfig } from '@tandem/config';
import type { WriteRequest } from '../src/index.js';
import { writeBodyHash } from '../src/index.js';

export const REDIS_URL = process.env.REDIS_URL;
/** node:test's `skip` for the Redis suites: a visible reason when there is no Redis to test against. */
export const REDIS_SKIP = REDIS_URL
  ? false
  : 'REDIS_URL is not set: the Redis Streams queue needs a real Redis';

/** A key prefix no other test file (or run) uses. */
export function uniquePrefix(): string {
  return `tandem-test:${randomBytes(6).toString('hex')}:writes`;
}

/** The write settings a test runs with: small bounds and a short lease, so limits and take-overs are quick. */
export function writesConfig(overrides: Partial<WritesConfig> = {}): WritesConfig {
  return {
    partitions: 4,
    maxQueueDepth: 1000,
    maxBodyBytes: 65_536,
    ratePerSecond: 50,
    rateBurst: 100,
    waitMaxSeconds: 30,
    batchSize: 200,
    retentionSeconds: 7 * 86_400,
    orderHoldSeconds: 3_600,
    orderHoldMaxUnits: 100,
    partitionLeaseMs: 600,
    redisUrl: undefined,
    redisKeyPrefix: uniquePrefix(),
    ...overrides,
  };
}

export function configWith(
  database: Config['database'],
  writes: WritesConfig,
): Pick<Config, 'writes' | 'database'> {
  return { database, writes };
}

export type NewWrite = Omit<WriteRequest, 'id' | 'partition'>;

/** An order create as the fast service would queue it. */
export function orderCreate(subject: string, key: string | null, quantity = 1): NewWrite {
  const body = { lines: [{ productId: 7, quantity }] };
  return {
    collection: 'orders',
    op: 'create',
    recordId: null,
    body,
    subject,
    ownerKey: subject,
    sessionId: 'sid-1',
    ifMatch: null,
    idempotencyKey: key,
    bodyHash: writeBodyHash('POST', '/v1/orders', Buffer.from(JSON.stringify(body))),
    acceptedAt: Date.now(),
  };
}

/** A product update (a record id: all updates of one record share a partition). */
export function productUpdate(recordId: string, price: string, key: string | null = null): NewWrite {
  const body = { price };
  return {
    collection: 'products',
    op: 'update',
    recordId,
    body,
    subject: 'client:3',
    ownerKey: null,
    sessionId: null,
    ifMatch: null,
    idempotencyKey: key,
    bodyHash: writeBodyHash('PATCH', `/v1/products/${recordId}`, Buffer.from(JSON.stringify(body))),
    acceptedAt: Date.now(),
  };
}

/** Deletes every key under the prefix (a test's own keys only). */
export async function dropKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
