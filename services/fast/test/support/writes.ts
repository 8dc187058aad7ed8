import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createLogger } from '@tandem/log';
import { openOrm, type Orm } from '@tandem/models';
import { Applier, openWriteSource, type WriteSource } from '@tandem/writes';
import { seedCatalog, startHarness, type Harness } from './fast.js';
import type { HttpReply } from './http.js';

export const REDIS_URL = process.env.REDIS_URL;
/** node:test's `skip` for the Redis queue runs: a visible reason when there is no Redis to test against. */
export const REDIS_SKIP = REDIS_URL
  ? false
  : 'REDIS_URL is not set: the Redis Streams queue needs a real Redis';

/** The queue a harness's fast service writes to. */
export type QueueKind = 'table' | 'redis';

export interface WriteHarness extends Harness {
  readonly queue: QueueKind;
  /** Starts a real applier (`tandem applier`'s loop) on its own ORM connection, like its own process. */
  startApplier(): Promise<void>;
  /** Stops it after its batch in hand: writes accepted afterwards stay queued. */
  stopApplier(): Promise<void>;
}

interface RunningApplier {
  readonly applier: Applier;
  readonly orm: Orm;
  readonly source: WriteSource;
}

/**
 * A fast service with its write path on a real queue (the `writes` table, or Redis Streams under a
 * key prefix of its own), a seeded catalog (products SKU-1.. published, stock 1000; one draft), and a
 * real applier unless `applier: false`. Rate limits are high unless `env` sets them.
 */
export async function startWriteHarness(
  options: { queue?: QueueKind; env?: Record<string, string>; applier?: boolean; products?: number } = {},
): Promise<WriteHarness> {
  const queue = options.queue ?? 'table';
  const redis: Record<string, string> =
    queue === 'redis'
      ? { REDIS_URL: REDIS_URL!, WRITE_REDIS_PREFIX: `tandem-test:${randomBytes(6).toString('hex')}:writes` }
      : {};
  const h = await startHarness(
    { WRITE_RATE_PER_SECOND: '10000', WRITE_RATE_BURST: '10000', ...redis, ...options.env },
    async (db) => {
      await seedCatalog(db, options.products ?? 3);
      // Stock for every test of a file; the out-of-stock tests read it and order more.
      await db.orm.em.getConnection().execute(`update products set stock = 1000 where sku like 'SKU-%'`);
    },
  );
  let running: RunningApplier | undefined;
  const startApplier = async () => {
    if (running) return;
    const orm = await openOrm(h.config.database);
    const source = openWriteSource(
      h.config,
      orm,
      `fast-test-${process.pid}-${randomBytes(3).toString('hex')}`,
    );
    const applier = new Applier({
      orm,
      dialect: h.config.database.dialect,
      source,
      logger: createLogger('applier', 'silent'),
      batchSize: h.config.writes.batchSize,
      pollMs: 50,
    });
    void applier.start();
    running = { applier, orm, source };
  };
  const stopApplier = async () => {
    const stopping = running;
    running = undefined;
    if (!stopping) return;
    await stopping.applier.stop();
    await stopping.source.close();
    await stopping.orm.close(true);
  };
  if (options.applier !== false) await startApplier();
  return {
    ...h,
    queue,
    startApplier,
    stopApplier,
    async close() {
      await stopApplier();
      await h.close();
    },
  };
}

export interface WriteCall {
  readonly token?: string;
  /** A JSON value (serialized here), or raw bytes / text sent as they are. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * One write request on its own connection. A JSON body is sent as application/json unless the call
 * names another Content-Type (or `content-type: ''` to send none).
 */
export function send(method: string, url: string, call: WriteCall = {}): Promise<HttpReply> {
  const raw =
    call.body === undefined
      ? undefined
      : Buffer.isBuffer(call.body) || typeof call.body === 'string'
        ? Buffer.from(call.body)
        : Buffer.from(JSON.stringify(call.body));
  const headers: Record<string, string> = {
    ...(raw && { 'content-type': 'application/json', 'content-length': String(raw.length) }),
    ...(call.token && { authorization: `Bearer ${call.token}` }),
    ...call.headers,
  };
  if (headers['content-type'] === '') delete headers['content-type'];
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(raw);
  });
}

/** A user's token that may place and cancel orders and read their outcomes. */
export function writerToken(
  h: Harness,
  userId: number,
  scope = 'orders:read orders:write writes:read',
): Promise<string> {
  return h.issuer.sign({ sub: String(userId), scope });
}

/** Rows of the `writes` table (the table queue's entries and every queue's outcomes). */
export async function writeRows(h: Harness): Promise<number> {
  const [row] = await h.sql('select count(*) as n from writes');
  return Number(row.n);
}

export async function productStock(h: Harness, productId: number): Promise<number> {
  const [row] = await h.sql('select stock from products where id = ?', [productId]);
  return Number(row.stock);
}

/** The published products of the seeded catalog, by sku order: ids of SKU-1.. SKU-n. */
export async function productIds(h: Harness): Promise<number[]> {
  const rows = await h.sql(`select id from products where sku like 'SKU-%' order by sku`);
  return rows.map((r: { id: unknown }) => Number(r.id));
}
