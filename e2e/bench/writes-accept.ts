/**
 * Only the accept part of the write bench (writes.ts (a)): fast pinned to core 0 with the Redis queue,
 * wrk-writes.lua on core 1, `runs` runs of `seconds` after a warm-up, one line per run. No contestant, no
 * drain, no latency run: a change to the accept path is measured before and after in a minute.
 *   node dist/bench/writes-accept.js [runs] [seconds]
 * BENCH_FAST_NODE_ARGS (space-separated) are node's options for fast, e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/p` (the profile is written when fast stops at the end) or `--perf-basic-prof`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createTestDatabase } from '@tandem/models/testing';
import {
  seedWriters,
  startWritesAuth,
  startWritesFast,
  writePathEnv,
  writerTokens,
} from '../support/writes-stack.js';
import { tandem } from './catalog.js';
import { fastNodeArgs } from './contestants.js';
import { n } from './figures.js';
import { clearQueue, PRODUCTS, redisPid, STOCK, writesRun } from './writes.js';

const runs = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 3);
const writers = 200;
const connections = 64;
const pgServer = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = (message: string) => process.stderr.write(`writes-accept: ${message}\n`);

const database = await createTestDatabase(pgServer);
const base = {
  DATABASE_URL: database.url,
  TANDEM_SECRET_KEY: randomBytes(32).toString('hex'),
  LOG_LEVEL: 'warn',
};
const prefix = `tandem-bench-accept-${randomBytes(4).toString('hex')}`;
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
const client = new pg.Client({ connectionString: database.url });
const stops: (() => Promise<unknown>)[] = [];
try {
  await tandem(['migrate'], base);
  await client.connect();
  await seedWriters(base, (query) => client.query(query), {
    products: PRODUCTS,
    users: writers,
    stock: STOCK,
  });
  const auth = await startWritesAuth(base);
  stops.push(() => auth.stop());
  const emails = Array.from(
    { length: writers },
    (_, i) => `seed-user-${String(i + 1).padStart(6, '0')}@example.com`,
  );
  const tokens = (await writerTokens(auth.url, emails)).map((w) => w.token);
  const tokensFile = path.join(mkdtempSync(path.join(tmpdir(), 'tandem-bench-accept-')), 'tokens.txt');
  writeFileSync(tokensFile, tokens.join('\n'));
  const nodeArgs = fastNodeArgs();
  const env = {
    ...base,
    ...writePathEnv({
      redisUrl,
      redisPrefix: prefix,
      extra: {
        WRITE_QUEUE_MAX_DEPTH: String(100_000_000),
      },
    }),
  };
  const fast = await startWritesFast(env, auth.url, { cpus: '0', ...(nodeArgs && { nodeArgs }) });
  stops.unshift(() => fast.stop());
  const target = {
    url: fast.url,
    pid: fast.child.pid!,
    besidePid: await redisPid(redis),
    afterRun: () => clearQueue(redis, prefix),
  };
  await writesRun(target, 2, connections, tokensFile);
  for (let run = 0; run < runs; run++) {
    const r = await writesRun(target, seconds, connections, tokensFile);
    log(
      `${n(r.requestsPerSecond)}/s, fast ${n(r.serverCpuPerRequestUs, 1)} µs, Redis ${n(r.besideCpuPerRequestUs, 1)} µs per accept, p50 ${n(r.p50Ms, 2)} ms, p99 ${n(r.p99Ms, 2)} ms, wrk busy ${n(r.wrkBusyShare * 100)}%`,
    );
  }
} finally {
  for (const stop of stops) await stop().catch(() => undefined);
  await client.end().catch(() => undefined);
  await clearQueue(redis, prefix).catch(() => undefined);
  redis.disconnect();
  await database.drop();
}
