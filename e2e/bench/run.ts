/**
 * `npm run bench` (quick) or `npm run bench -- --full`: Tandem against its ceiling and its alternatives,
 * in one run, on SQLite and on PostgreSQL. Prints a table and writes BENCHMARKS.md at the repo root.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort } from '@tandem/models/testing';
import {
  ENTRY_POINTS,
  startServiceProcess,
  withOutputOf,
  type ServiceProcess,
} from '../support/service-process.js';
import { NGINX_BINARY, renderFastUpstreamConfig } from '../support/nginx.js';
import { measureGrants } from './auth-grants.js';
import { prepareCatalog, tokenPool, type Dialect, type BenchCatalog } from './catalog.js';
import {
  authNodeArgs,
  fetchBytes,
  LIST_PATH,
  RECORD_PATH,
  startContestant,
  type ContestantName,
} from './contestants.js';
import { PACED_PAUSE_MS } from './efficiency-check.js';
import { describeMachine } from './machine.js';
import { measureOrdersLive, ORDERS_LIVE_BENCH, type OrdersLiveSize } from './orders-live.js';
import { measureOrders, ORDERS_BENCH, type OrdersBenchSize } from './orders.js';
import { measurePropagation } from './propagation.js';
import {
  renderMarkdown,
  renderPartial,
  splicePartial,
  type BenchResults,
  type ContestantRow,
  type DialectResults,
} from './report.js';
import type { DialectOrders } from './report-orders.js';
import { measureSnapshot } from './snapshot.js';
import { measure, measureInterleaved, type RunPlan } from './throughput.js';
import { wrkAvailable } from './wrk.js';
import { measureWrites, WRITES_BENCH, type WritesBenchSize } from './writes.js';
import { checkHarnessScripts } from './wrk-pool-check.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const full = process.argv.includes('--full');
/**
 * `--only=writes,orders` measures just those sections (catalog, snapshot, orders, writes), prints them
 * and puts them in BENCHMARKS.md as a dated block of their own (replacing that block's previous
 * version, quick or full: its heading names the command): a partial run never replaces the record of
 * a whole one.
 * `grants` (only by --only: catalog measures them too) runs just the auth grants, printed as JSON.
 */
const SECTIONS = ['catalog', 'snapshot', 'orders', 'writes', 'grants'] as const;
type Section = (typeof SECTIONS)[number];
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const sections: ReadonlySet<Section> = new Set(
  only === undefined
    ? SECTIONS.filter((section) => section !== 'grants')
    : only.split(',').map((name) => {
        if (!(SECTIONS as readonly string[]).includes(name))
          throw new Error(`--only: unknown section ${JSON.stringify(name)} (${SECTIONS.join(', ')})`);
        return name as Section;
      }),
);
const CATALOG = 10_000;
/** The hot-record control (DialectResults.hotRecord): ids drawn from this many products. */
const HOT_IDS = 100;
/** The hot-list control (DialectResults.hotList): every page within this many products. */
const HOT_LIST_IDS = 200;
const plan: RunPlan = full
  ? { warmupSeconds: 5, seconds: 10, runs: 3, connections: 64 }
  : { warmupSeconds: 2, seconds: 3, runs: 3, connections: 64 };
/**
 * Issue 14's sizes in --full; quick mode seeds a tenth (and 1,000 subscribers against 100), which the
 * report states beside every figure: its targets are only checked at full size in earnest.
 */
const ordersSize: OrdersBenchSize = full
  ? ORDERS_BENCH
  : { users: 10_000, orders: 100_000, tokens: 200, listItems: 50 };
const ordersLiveSize: OrdersLiveSize = full
  ? ORDERS_LIVE_BENCH
  : { users: 1000, orders: 10_000, subscribers: [100, 1000], changesPerSecond: 2000, seconds: 3 };
/** Issue 15's sizes in --full; quick mode fewer writers and a fifth of the drain. */
const writesSize: WritesBenchSize = full
  ? WRITES_BENCH
  : { ...WRITES_BENCH, writers: 200, prefill: 20_000, latencySeconds: 5, latencyWriters: 50 };
/** Accept runs hold every write in Redis until they end (nothing drains them): shorter runs in --full. */
const writesPlan: RunPlan = full ? { ...plan, seconds: 5 } : plan;
const redisServer = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const pgServer = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function redisReachable(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Two tandem replicas and nginx (one worker), all on core 0 like every other server under test; the
 * CPU time per request is that of all of them (nginx master and worker, both replicas).
 */
async function measureProxy(
  env: Record<string, string>,
  tokensFile: string,
  direct: ContestantRow['record'],
) {
  const replicaEnv = { ...env, FAST_PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production' };
  const replicas = [
    await startServiceProcess('fast-1', ENTRY_POINTS.fast, { cpus: '0', env: replicaEnv }),
    await startServiceProcess('fast-2', ENTRY_POINTS.fast, { cpus: '0', env: replicaEnv }),
  ];
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-bench-nginx-'));
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    renderFastUpstreamConfig({ dir, listenPort: port, upstreams: replicas.map((r) => new URL(r.url).host) }),
  );
  const nginx = spawn('taskset', ['-c', '0', NGINX_BINARY, '-c', path.join(dir, 'nginx.conf'), '-p', dir], {
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const proxied = await measure(
      {
        baseUrl: `http://127.0.0.1:${port}`,
        kind: 'record',
        maxId: CATALOG,
        tokensFile,
        serverPids: [nginx.pid!, ...replicas.map((r) => r.child.pid!)],
      },
      plan,
    );
    return { direct, proxied };
  } finally {
    nginx.kill('SIGQUIT');
    for (const replica of replicas) await replica.stop();
  }
}

async function benchDialect(dialect: Dialect, secretKey: string): Promise<DialectResults> {
  log(`${dialect}: seeding ${CATALOG} products`);
  const catalog = await prepareCatalog(dialect, CATALOG, pgServer, secretKey);
  const started: ServiceProcess[] = [];
  try {
    const auth = await startServiceProcess('auth', ENTRY_POINTS.auth, {
      env: { ...catalog.env, AUTH_PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production' },
    });
    started.push(auth);
    log(`${dialect}: minting 1,000 tokens`);
    const tokens = await tokenPool(auth.url, catalog.client, 1000);
    const tokensFile = path.join(mkdtempSync(path.join(tmpdir(), 'tandem-bench-')), 'tokens.txt');
    writeFileSync(tokensFile, tokens.join('\n'));
    const context = { env: catalog.env, authUrl: auth.url, cpus: '0' };

    const tandem = await startContestant('tandem', context);
    const sample = {
      record: (await fetchBytes(tandem.url + RECORD_PATH, tokens[0]!)).body,
      list: (await fetchBytes(tandem.url + LIST_PATH, tokens[0]!)).body,
    };
    // All four stay up (pinned to core 0, idle while another is measured) so their runs interleave.
    const contestants: [ContestantName, ServiceProcess][] = [
      ['ceiling', await startContestant('ceiling', { ...context, sample })],
      ['tandem', tandem],
    ];
    for (const name of ['express', 'fastify'] as const)
      contestants.push([name, await startContestant(name, context)]);
    started.push(...contestants.map(([, server]) => server)); // stopped on failure too
    // Every contestant, the ceiling included, is sent the same requests, Authorization header included.
    const measureAmong = (
      servers: typeof contestants,
      kind: 'record' | 'list',
      maxId: number,
      pauseMs?: number,
    ) =>
      measureInterleaved(
        servers.map(([, server]) => ({
          baseUrl: server.url,
          kind,
          maxId,
          tokensFile,
          serverPids: [server.child.pid!],
          pauseMs,
        })),
        plan,
      );
    const measureKind = async (kind: 'record' | 'list') => {
      log(`${dialect}: ${kind}, ${contestants.map(([name]) => name).join(', ')} interleaved`);
      return measureAmong(contestants, kind, CATALOG);
    };
    const record = await measureKind('record');
    const list = await measureKind('list');
    const rows: ContestantRow[] = contestants.map(([name], i) => ({
      name,
      record: record[i]!,
      list: list[i]!,
    }));
    const hot = contestants.filter(([name]) => name === 'ceiling' || name === 'tandem');
    const measureHot = async (kind: 'record' | 'list', ids: number) => {
      log(`${dialect}: ${kind} within ${ids} hot products, ceiling and tandem interleaved`);
      const [ceiling, tandem] = await measureAmong(hot, kind, ids);
      return { ids, ceiling: ceiling!, tandem: tandem! };
    };
    const hotRecord = await measureHot('record', HOT_IDS);
    const hotList = await measureHot('list', HOT_LIST_IDS);
    log(
      `${dialect}: record at an equal pace (${PACED_PAUSE_MS} ms after each answer), ceiling and tandem interleaved`,
    );
    const [pacedCeiling, pacedTandem] = await measureAmong(hot, 'record', CATALOG, PACED_PAUSE_MS);
    const pacedRecord = { pauseMs: PACED_PAUSE_MS, ceiling: pacedCeiling!, tandem: pacedTandem! };
    for (const [name, server] of contestants) if (name !== 'tandem') await server.stop();

    log(`${dialect}: change propagation`);
    const propagation = await measurePropagation(
      catalog.database.target,
      tandem.url,
      tokens[0]!,
      1000,
      CATALOG,
    );
    await tandem.stop();

    const proxy = existsSync(NGINX_BINARY)
      ? (log(`${dialect}: nginx with two replicas`),
        await measureProxy(
          { ...catalog.env, TOKEN_ISSUER: auth.url },
          tokensFile,
          rows.find((r) => r.name === 'tandem')!.record,
        ))
      : undefined;

    log(`${dialect}: auth grants`);
    await auth.stop();
    const pinnedAuth = await startPinnedAuth(catalog);
    started.push(pinnedAuth);
    const grants = await measureGrants({ url: pinnedAuth.url, pid: pinnedAuth.child.pid! }, catalog, plan);
    return { dialect, rows, proxy, propagation, grants, hotRecord, hotList, pacedRecord };
  } catch (error) {
    throw withOutputOf(error, started);
  } finally {
    for (const server of started.reverse()) await server.stop();
    await catalog.database.drop();
  }
}

/** The auth service whose grants are measured, pinned to core 0 (BENCH_AUTH_NODE_ARGS for a profile). */
function startPinnedAuth(catalog: BenchCatalog) {
  return startServiceProcess('auth', ENTRY_POINTS.auth, {
    cpus: '0',
    env: { ...catalog.env, AUTH_PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'warn' },
    nodeArgs: authNodeArgs(),
  });
}

/** The grants alone on a small catalog (the catalog section measures them after the reads). */
async function benchGrants(dialect: Dialect, secretKey: string): Promise<void> {
  const catalog = await prepareCatalog(dialect, 100, pgServer, secretKey);
  const auth = await startPinnedAuth(catalog);
  try {
    log(`${dialect}: auth grants`);
    const grants = await measureGrants({ url: auth.url, pid: auth.child.pid! }, catalog, plan);
    const brief = Object.fromEntries(
      Object.entries(grants).map(([grant, m]) => [
        grant,
        { tokensPerSecond: Math.round(m.requestsPerSecond), cpuPerTokenUs: Math.round(m.cpuPerRequestUs) },
      ]),
    );
    process.stdout.write(`${JSON.stringify({ dialect, grants: brief })}\n`);
  } finally {
    await auth.stop();
    await catalog.database.drop();
  }
}

async function main(): Promise<void> {
  if (!wrkAvailable()) {
    log('wrk is not installed. Install it with `apt-get install -y wrk` (Debian) and run again.');
    process.exit(2);
  }
  // A request script that builds requests per call makes wrk, not the server, the bound (issue 12).
  await checkHarnessScripts();
  log('wrk request scripts hand out pre-formatted requests');
  const secretKey = randomBytes(32).toString('hex');
  const dialects: Dialect[] = ['sqlite'];
  if (await reachable(pgServer)) dialects.push('postgresql');
  else log(`PostgreSQL is not reachable at ${pgServer} (set BENCH_DATABASE_URL); measuring SQLite only`);

  if (sections.has('grants')) for (const dialect of dialects) await benchGrants(dialect, secretKey);
  if (sections.size === 1 && sections.has('grants')) return;

  const results: DialectResults[] = [];
  if (sections.has('catalog'))
    for (const dialect of dialects) results.push(await benchDialect(dialect, secretKey));

  const snapshots: BenchResults['snapshots'][number][] = [];
  const sizes = full ? [100_000, 1_000_000] : [100_000];
  const snapshotDialects = !sections.has('snapshot') ? [] : full ? dialects : (['sqlite'] as Dialect[]);
  for (const dialect of snapshotDialects) {
    for (const products of sizes) {
      log(`${dialect}: snapshot of ${products.toLocaleString('en-US')} products`);
      const catalog = await prepareCatalog(dialect, products, pgServer, secretKey);
      try {
        snapshots.push({
          dialect,
          ...(await measureSnapshot(catalog.env, catalog.database.target, products)),
        });
      } finally {
        await catalog.database.drop();
      }
    }
  }

  const orders: DialectOrders[] = [];
  for (const dialect of sections.has('orders') ? dialects : [])
    orders.push({
      dialect,
      ...(await measureOrders({ dialect, pgServer, secretKey, plan, size: ordersSize, cpus: '0', log })),
    });
  const ordersLive =
    sections.has('orders') && dialects.includes('postgresql')
      ? await measureOrdersLive({ pgServer, secretKey, size: ordersLiveSize, log })
      : undefined;

  let writes: BenchResults['writes'];
  if (!sections.has('writes')) log('writes: not measured (--only)');
  else if (!dialects.includes('postgresql'))
    log('writes: PostgreSQL is not reachable; the write path is not measured');
  else if (!(await redisReachable(redisServer)))
    log(
      `writes: Redis is not reachable at ${redisServer} (set BENCH_REDIS_URL); the write path is not measured`,
    );
  else
    writes = await measureWrites({
      pgServer,
      redisUrl: redisServer,
      secretKey,
      plan: writesPlan,
      size: writesSize,
      log,
    });

  const report: BenchResults = {
    mode: full ? 'full' : 'quick',
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    machine: describeMachine(),
    plan: `${plan.runs} runs of ${plan.seconds} s after a ${plan.warmupSeconds} s warm-up, median, ${plan.connections} connections`,
    dialects: results,
    snapshots,
    orders,
    ...(ordersLive && { ordersLive }),
    ...(writes && { writes }),
  };
  const notesFile = path.join(repo, 'e2e', 'bench', 'notes.md');
  const markdown = renderMarkdown(report, existsSync(notesFile) ? readFileSync(notesFile, 'utf8') : '');
  const benchmarks = path.join(repo, 'BENCHMARKS.md');
  if (only !== undefined) {
    const block = renderPartial(report, only);
    process.stdout.write(`${block}\n`);
    const document = existsSync(benchmarks) ? readFileSync(benchmarks, 'utf8') : '# Benchmarks\n';
    writeFileSync(benchmarks, splicePartial(document, block, only));
    log(`--only=${only}: its block in BENCHMARKS.md replaced; the full run's figures left as they were`);
    return;
  }
  process.stdout.write(`${markdown}\n`);
  writeFileSync(benchmarks, markdown);
  log('wrote BENCHMARKS.md');
}

await main();
