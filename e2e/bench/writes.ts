/**
 * Issue 15's write path under load, on PostgreSQL with the Redis queue (run.ts calls `measureWrites`;
 * report-writes.ts renders the rows):
 *   (a) accepted writes/s: `POST /v1/orders` → durable 202, fast pinned to core 0, wrk on core 1 with
 *       pre-formatted requests (wrk-writes.lua: every request a distinct write with its own
 *       Idempotency-Key); fast's CPU per request, Redis's beside it, wrk's busy share;
 *   (d) the contestant, Express 5 + MikroORM placing the same order synchronously (a transaction per
 *       request), measured the same way, interleaved with (a): its rate is both what it accepts and
 *       what it applies;
 *   (b) applied orders/s: the queue pre-filled with orders of 100 hot products, then `tandem applier`
 *       processes drain it; the rate from the first outcome's `applied_at` to the last;
 *   (c) at a steady 1,000 writes/s (writes-latency-client.ts on core 1, `Prefer: wait`): commit →
 *       WebSocket frame at the owner, and write → visible in GET (the 201 comes once the order is in
 *       fast's store; every tenth is read back at once).
 */
import { fork, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createTestDatabase } from '@tandem/models/testing';
import { withOutputOf, type ServiceProcess } from '../support/service-process.js';
import {
  inParallel,
  orderBody,
  postOrder,
  seedWriters,
  startApplier,
  startWritesAuth,
  startWritesFast,
  stopCommand,
  writePathEnv,
  writerTokens,
} from '../support/writes-stack.js';
import { tandem } from './catalog.js';
import { fastNodeArgs, startContestant } from './contestants.js';
import { cpuSecondsBetween, machineSharesBetween, readCpu, readMachineCpu } from './cpu-time.js';
import { percentiles, type Percentiles } from './propagation.js';
import { summarize, type Measurement, type RunPlan } from './throughput.js';
import type { LatencyPlan, LatencyReport } from './writes-latency-client.js';
import { runWrkScript, type WrkRun } from './wrk.js';

/** The pre-formatted order writes (distinct Idempotency-Key per request); see wrk-writes.lua. */
export const WRK_WRITES_SCRIPT = fileURLToPath(new URL('../../bench/wrk-writes.lua', import.meta.url));

export interface WritesBenchSize {
  /** Writers (seeded users), one token each, drawn at random per request. */
  readonly writers: number;
  /** Orders pre-filled into the queue for the drain. */
  readonly prefill: number;
  readonly appliers: number;
  /** The steady rate and length of the latency run, and the writers it spreads over (one socket each). */
  readonly latencyPerSecond: number;
  readonly latencySeconds: number;
  readonly latencyWriters: number;
}

/** What issue 15 asks for, at full size. */
export const WRITES_BENCH: WritesBenchSize = {
  writers: 1000,
  prefill: 100_000,
  appliers: 2,
  latencyPerSecond: 1000,
  latencySeconds: 10,
  latencyWriters: 100,
};

/**
 * fast's priority in these runs: the whole pipeline shares two cores, as on the one host README's
 * "Sharing cores" describes, where fast should run with this `FAST_NICE`.
 */
export const FAST_NICE = -10;

/** Whether a process started here may raise its priority to FAST_NICE (root, CAP_SYS_NICE or the rlimit). */
function mayRaisePriority(): boolean {
  const probe = spawnSync(process.execPath, ['-e', `require('node:os').setPriority(${FAST_NICE})`]);
  return probe.status === 0;
}

/** 100 hot products, each with stock no run exhausts. */
export const PRODUCTS = 100;
export const STOCK = 1_000_000_000;
/** The pool wrk formats per run: more writes than a run at this rate sends (doubled if a run used it up). */
const POOL_RATE = 60_000;

export interface DrainResult {
  readonly orders: number;
  readonly applied: number;
  readonly rejected: number;
  /** First outcome's applied_at to the last one's. */
  readonly seconds: number;
  readonly perSecond: number;
  /** From starting the appliers to the last outcome row seen, applier start-up included. */
  readonly wallSeconds: number;
  /** CPU per applied order of the appliers, and of PostgreSQL (every backend), µs. */
  readonly applierCpuPerOrderUs: number;
  readonly databaseCpuPerOrderUs: number;
  /** From the last outcome row seen to fast holding every applied order in its store, s. */
  readonly feedCatchUpSeconds: number;
}

export interface WriteLatency {
  readonly plannedPerSecond: number;
  readonly achievedPerSecond: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly commitToFrame: Percentiles;
  readonly writeToVisible: Percentiles;
  /** Created orders whose frame never came. */
  readonly framesMissing: number;
  readonly getChecks: number;
  readonly getMisses: number;
  readonly clientBusyShare: number;
  /**
   * Both cores over the run (steal included: the host took them). Near 1 the pipeline had no core to
   * spare and the latency is a backlog: the figure says what this machine can do, not what bounds it.
   */
  readonly machineBusyShare: number;
  readonly machineStealShare: number;
}

export interface WritesResults {
  readonly size: WritesBenchSize;
  /** fast's `FAST_NICE`, or undefined when this machine let it keep only the inherited priority. */
  readonly fastNice: number | undefined;
  /** Tandem's accepts; `serviceCpuPerRequestUs` of Redis beside fast's own. */
  readonly accepted: Measurement & { readonly redisCpuPerRequestUs: number };
  /** The synchronous contestant; PostgreSQL's CPU per order beside its own. */
  readonly express: Measurement & { readonly databaseCpuPerRequestUs: number };
  readonly drain: DrainResult;
  readonly latency: WriteLatency;
}

const log0 = () => undefined;

/** The pid of the Redis server (when it runs on this machine), for its CPU time. */
export async function redisPid(redis: Redis): Promise<number | undefined> {
  const info = await redis.info('server');
  const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
  try {
    readFileSync(`/proc/${pid}/stat`);
    return pid;
  } catch {
    return undefined;
  }
}

/** The postmaster's pid (its backends are its children), when PostgreSQL runs on this machine. */
async function postgresPid(databaseUrl: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const stat = readFileSync(`/proc/${rows[0]!.pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}

/** Deletes the queue's keys (streams, idempotency keys, counters): an accept run leaves them behind. */
export async function clearQueue(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

const cpuOf = async <T>(pids: readonly number[], work: () => Promise<T>): Promise<[T, number]> => {
  // No process to read (Redis or PostgreSQL on another machine): no figure rather than 0.
  const before = readCpu(pids);
  const result = await work();
  return [result, pids.length === 0 ? Number.NaN : cpuSecondsBetween(before, readCpu(pids))];
};

export interface WritesTarget {
  readonly url: string;
  readonly pid: number;
  /** Another process whose CPU is reported per request beside the server's (Redis, PostgreSQL). */
  readonly besidePid: number | undefined;
  /** After each run (the queue's keys are deleted after Tandem's). */
  readonly afterRun?: () => Promise<void>;
}

/**
 * One wrk run of wrk-writes.lua against `target`, with a pool of distinct writes larger than the run
 * sends (doubled and run again if the run used the pool up: a replayed key is not an accepted write).
 */
export async function writesRun(
  target: WritesTarget,
  seconds: number,
  connections: number,
  tokensFile: string,
): Promise<WrkRun & { besideCpuPerRequestUs: number }> {
  for (let pool = Math.ceil(seconds * POOL_RATE); ; pool *= 2) {
    const [result, besideSeconds] = await cpuOf(target.besidePid ? [target.besidePid] : [], () =>
      runWrkScript({
        url: target.url,
        script: WRK_WRITES_SCRIPT,
        seconds,
        connections,
        env: {
          WRK_TOKENS_FILE: tokensFile,
          WRK_PRODUCTS: String(PRODUCTS),
          WRK_KEY_PREFIX: randomBytes(6).toString('hex'),
          WRK_POOL_SIZE: String(pool),
        },
        serverPids: [target.pid],
      }),
    );
    await target.afterRun?.();
    if (result.non2xx > 0)
      throw new Error(`${target.url} answered ${result.non2xx} non-2xx responses to writes`);
    if (result.requests + connections <= pool)
      return { ...result, besideCpuPerRequestUs: (besideSeconds / Math.max(1, result.requests)) * 1e6 };
  }
}

/** Warm-up, then `plan.runs` rounds, each target once per round (as measureInterleaved). */
async function measureWritesInterleaved(
  targets: readonly WritesTarget[],
  plan: RunPlan,
  tokensFile: string,
): Promise<(Measurement & { besideCpuPerRequestUs: number })[]> {
  for (const target of targets) await writesRun(target, plan.warmupSeconds, plan.connections, tokensFile);
  const runs: (WrkRun & { besideCpuPerRequestUs: number })[][] = targets.map(() => []);
  for (let round = 0; round < plan.runs; round++)
    for (const [i, target] of targets.entries())
      runs[i]!.push(await writesRun(target, plan.seconds, plan.connections, tokensFile));
  return runs.map((measured) => {
    const sorted = measured.map((r) => r.besideCpuPerRequestUs).sort((a, b) => a - b);
    return { ...summarize(measured), besideCpuPerRequestUs: sorted[Math.floor(sorted.length / 2)]! };
  });
}

/** Pre-fills the queue with `count` orders (fast only, no applier), then starts the appliers and times the drain. */
async function measureDrain(options: {
  readonly fastUrl: string;
  readonly tokens: readonly string[];
  readonly count: number;
  readonly appliers: number;
  readonly env: Record<string, string>;
  readonly client: pg.Client;
  readonly postgres: number | undefined;
  readonly started: ServiceProcess[];
}): Promise<DrainResult> {
  const answers = await inParallel(options.count, 64, (i) =>
    postOrder(
      options.fastUrl,
      options.tokens[i % options.tokens.length]!,
      orderBody([[1 + Math.floor(Math.random() * PRODUCTS), 1]]),
    ),
  );
  const refused = answers.filter((answer) => answer.status !== 202);
  if (refused.length > 0)
    throw new Error(
      `pre-fill: ${refused.length} writes refused (first: ${refused[0]!.status} ${refused[0]!.body})`,
    );
  const startedAt = performance.now();
  const appliers: ServiceProcess[] = [];
  const before = readCpu(options.postgres ? [options.postgres] : []);
  for (let i = 0; i < options.appliers; i++) {
    const applier = await startApplier(`applier-${i + 1}`, options.env);
    appliers.push(applier);
    options.started.push(applier);
  }
  const applierBefore = readCpu(appliers.map((a) => a.child.pid!));
  for (let seen = -1, progressAt = performance.now(); ;) {
    const { rows } = await options.client.query<{ n: string }>(
      `select count(*) as n from writes where status in ('applied', 'rejected')`,
    );
    const done = Number(rows[0]!.n);
    if (done >= options.count) break;
    if (done !== seen) [seen, progressAt] = [done, performance.now()];
    else if (performance.now() - progressAt > 30_000)
      throw new Error(
        `drain: ${done} of ${options.count} writes applied, none for 30 s; applier logs:\n${appliers.map((a) => a.logs().slice(-2000)).join('\n')}`,
      );
    // Not faster: the count scans the table, on the PostgreSQL being measured.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const wallSeconds = (performance.now() - startedAt) / 1000;
  const drainedAt = performance.now();
  const applierSeconds = cpuSecondsBetween(applierBefore, readCpu(appliers.map((a) => a.child.pid!)));
  const databaseSeconds = cpuSecondsBetween(before, readCpu(options.postgres ? [options.postgres] : []));
  const { rows } = await options.client.query<{ status: string; n: string; first: Date; last: Date }>(
    `select status, count(*) as n, min(applied_at) as first, max(applied_at) as last from writes group by status`,
  );
  const count = (status: string) => Number(rows.find((row) => row.status === status)?.n ?? 0);
  const first = Math.min(...rows.map((row) => row.first.getTime()));
  const last = Math.max(...rows.map((row) => row.last.getTime()));
  const seconds = Math.max(0.001, (last - first) / 1000);
  const applied = count('applied');
  await storeHolds(options.fastUrl, 'orders', applied, options.env.METRICS_TOKEN);
  const feedCatchUpSeconds = (performance.now() - drainedAt) / 1000;
  return {
    orders: options.count,
    applied,
    rejected: count('rejected'),
    seconds,
    perSecond: (applied + count('rejected')) / seconds,
    wallSeconds,
    applierCpuPerOrderUs: (applierSeconds / Math.max(1, applied)) * 1e6,
    databaseCpuPerOrderUs: options.postgres ? (databaseSeconds / Math.max(1, applied)) * 1e6 : Number.NaN,
    feedCatchUpSeconds,
  };
}

/**
 * Waits until fast's store holds `count` records of `collection` (its /healthz counts them): the drain's
 * changes have all come through the feed. The latency run measures a steady 1,000 writes/s, so it
 * must not start while fast is still taking in the backlog the drain committed. /healthz gives the
 * counts only to the bearer of METRICS_TOKEN when fast has one (`metricsToken`, from fast's env).
 */
async function storeHolds(
  fastUrl: string,
  collection: string,
  count: number,
  metricsToken: string | undefined,
): Promise<void> {
  const headers: Record<string, string> =
    metricsToken === undefined ? {} : { authorization: `Bearer ${metricsToken}` };
  const deadline = performance.now() + 300_000;
  for (;;) {
    const health = (await (await fetch(`${fastUrl}/healthz`, { headers })).json()) as {
      records?: Record<string, number>;
      feed?: { lagEvents?: number };
    };
    if (health.records === undefined)
      throw new Error(
        `fast's /healthz gave no record counts (METRICS_TOKEN not sent?): ${JSON.stringify(health)}`,
      );
    if ((health.records[collection] ?? 0) >= count && health.feed?.lagEvents === 0) return;
    if (performance.now() > deadline)
      throw new Error(`fast holds ${health.records[collection]} of ${count} ${collection} after 300 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The steady-rate run: the client on core 1; appliers already running. */
async function measureLatency(options: {
  readonly fastUrl: string;
  readonly tokens: readonly string[];
  readonly size: WritesBenchSize;
  readonly client: pg.Client;
}): Promise<WriteLatency> {
  const script = fileURLToPath(new URL('./writes-latency-client.js', import.meta.url));
  const child = fork(script, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execPath: 'taskset',
    execArgv: ['-c', '1', process.execPath],
  });
  const plan: LatencyPlan = {
    url: options.fastUrl,
    writers: options.tokens.slice(0, options.size.latencyWriters).map((token) => ({ token })),
    products: PRODUCTS,
    writesPerSecond: options.size.latencyPerSecond,
    seconds: options.size.latencySeconds,
  };
  const machineBefore = readMachineCpu();
  const report = await new Promise<LatencyReport>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`writes latency client exited (${code})`)));
    child.on('message', (message: LatencyReport & { type: string }) => {
      if (message.type === 'report') resolve(message);
    });
    child.send({ type: 'run', plan });
  });
  const machine = machineSharesBetween(machineBefore, readMachineCpu());
  const ids = report.created.map(([orderId]) => String(orderId));
  const { rows } = await options.client.query<{ record_id: string; applied_at: Date }>(
    `select record_id, applied_at from writes where collection = 'orders' and record_id = any($1)`,
    [ids],
  );
  const appliedAt = new Map(rows.map((row) => [Number(row.record_id), row.applied_at.getTime()]));
  const frames = new Map(report.frames);
  const commitToFrame: number[] = [];
  let framesMissing = 0;
  for (const [orderId] of report.created) {
    const received = frames.get(orderId);
    const committed = appliedAt.get(orderId);
    if (received === undefined || committed === undefined) framesMissing += 1;
    else commitToFrame.push(received - committed);
  }
  return {
    plannedPerSecond: options.size.latencyPerSecond,
    achievedPerSecond: report.sent / report.sendingSeconds,
    statuses: report.statuses,
    commitToFrame: percentiles(commitToFrame),
    writeToVisible: percentiles(report.created.map(([, sentAt, answeredAt]) => answeredAt - sentAt)),
    framesMissing,
    getChecks: report.getChecks,
    getMisses: report.getMisses,
    clientBusyShare: report.busyShare,
    machineBusyShare: machine.busy,
    machineStealShare: machine.steal,
  };
}

/**
 * Seeds a fresh PostgreSQL database (100 hot products, `size.writers` users whose role may write
 * orders), mints the writers' tokens and measures (a)–(d) above.
 */
export async function measureWrites(options: {
  readonly pgServer: string;
  readonly redisUrl: string;
  readonly secretKey: string;
  readonly plan: RunPlan;
  readonly size?: WritesBenchSize;
  readonly log?: (message: string) => void;
}): Promise<WritesResults> {
  const size = options.size ?? WRITES_BENCH;
  const log = options.log ?? log0;
  const database = await createTestDatabase(options.pgServer);
  const base = { DATABASE_URL: database.url, TANDEM_SECRET_KEY: options.secretKey, LOG_LEVEL: 'warn' };
  const prefix = `tandem-bench-writes-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  const client = new pg.Client({ connectionString: database.url });
  const started: ServiceProcess[] = [];
  try {
    log(`postgresql: writes, seeding ${PRODUCTS} products and ${size.writers} writers`);
    await tandem(['migrate'], base);
    await client.connect();
    const sql = (query: string) => client.query(query);
    await seedWriters(base, sql, { products: PRODUCTS, users: size.writers, stock: STOCK });
    const auth = await startWritesAuth(base);
    started.push(auth);
    log(`postgresql: writes, minting ${size.writers} writers' tokens`);
    const emails = Array.from(
      { length: size.writers },
      (_, i) => `seed-user-${String(i + 1).padStart(6, '0')}@example.com`,
    );
    const tokens = (await writerTokens(auth.url, emails)).map((w) => w.token);
    const tokensFile = path.join(mkdtempSync(path.join(tmpdir(), 'tandem-bench-writes-')), 'tokens.txt');
    writeFileSync(tokensFile, tokens.join('\n'));

    // Nothing drains the queue during the accept runs: its bound must not refuse them.
    const env = {
      ...base,
      ...writePathEnv({
        redisUrl: options.redisUrl,
        redisPrefix: prefix,
        extra: { WRITE_QUEUE_MAX_DEPTH: String(100_000_000) },
      }),
    };
    const fastNice = mayRaisePriority() ? FAST_NICE : undefined;
    const fast = await startWritesFast(
      { ...env, ...(fastNice !== undefined && { FAST_NICE: String(fastNice) }) },
      auth.url,
      { cpus: '0', nodeArgs: fastNodeArgs() },
    );
    started.push(fast);
    const express = await startContestant('express-orders', { env: base, authUrl: auth.url, cpus: '0' });
    started.push(express);
    const redisServer = await redisPid(redis);
    const postgres = await postgresPid(database.url);

    log(
      'postgresql: writes, accepted (tandem, Redis queue) and the synchronous contestant (express), interleaved',
    );
    const [accepted, onExpress] = await measureWritesInterleaved(
      [
        {
          url: fast.url,
          pid: fast.child.pid!,
          besidePid: redisServer,
          afterRun: () => clearQueue(redis, prefix),
        },
        { url: express.url, pid: express.child.pid!, besidePid: postgres },
      ],
      options.plan,
      tokensFile,
    );
    await express.stop();
    await clearQueue(redis, prefix);

    log(`postgresql: writes, draining ${size.prefill} queued orders with ${size.appliers} appliers`);
    const drain = await measureDrain({
      fastUrl: fast.url,
      tokens,
      count: size.prefill,
      appliers: size.appliers,
      env,
      client,
      postgres,
      started,
    });

    // Tokens minted now: on a slow or busy machine the stages before may outlast the first ones.
    const latencyTokens = (await writerTokens(auth.url, emails.slice(0, size.latencyWriters))).map(
      (w) => w.token,
    );
    log(`postgresql: writes, latency at ${size.latencyPerSecond} writes/s for ${size.latencySeconds} s`);
    const latency = await measureLatency({ fastUrl: fast.url, tokens: latencyTokens, size, client });
    const { besideCpuPerRequestUs: redisCpu, ...acceptedMeasurement } = accepted!;
    const { besideCpuPerRequestUs: databaseCpu, ...expressMeasurement } = onExpress!;
    return {
      size,
      fastNice,
      accepted: { ...acceptedMeasurement, redisCpuPerRequestUs: redisCpu },
      express: { ...expressMeasurement, databaseCpuPerRequestUs: databaseCpu },
      drain,
      latency,
    };
  } catch (error) {
    throw withOutputOf(error, started);
  } finally {
    for (const service of started.reverse())
      await (service.name.startsWith('applier') ? stopCommand(service) : service.stop());
    await client.end().catch(() => undefined);
    await clearQueue(redis, prefix).catch(() => undefined);
    redis.disconnect();
    await database.drop();
  }
}
