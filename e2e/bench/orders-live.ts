/**
 * Issue 14's WebSocket bench, on PostgreSQL: N subscribed users (one socket each, each subscribed to
 * `orders`), a writer process committing order changes at a steady rate to orders of random subscribed
 * owners. Counts that every change reached its owner once and nobody else, measures commit → frame
 * (as propagation.ts does, but under a steady load and across processes: both sides read
 * CLOCK_MONOTONIC), and the fast service's CPU time per delivered change, at each subscriber count.
 *
 * Processes: fast pinned to core 0, the subscribers' client (orders-live-client.ts) pinned to core 1,
 * the writer (orders-writer.ts) and PostgreSQL unpinned. The client's busy share of its core is
 * reported: near 1, the client (not fast) may have set the latency.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { ServiceProcess } from '../support/service-process.js';
import { startContestant } from './contestants.js';
import { cpuSecondsBetween, readCpu } from './cpu-time.js';
import { passwordTokens, prepareOrders, startPoolAuth } from './orders.js';
import type { ClientReport, ClientUser } from './orders-live-client.js';
import type { WriterPlan, WriterReport } from './orders-writer.js';
import { percentiles, type Percentiles } from './propagation.js';

export interface OrdersLiveSize {
  readonly users: number;
  readonly orders: number;
  /** Subscriber counts measured in turn; the last is compared with the first (CPU per change). */
  readonly subscribers: readonly number[];
  readonly changesPerSecond: number;
  readonly seconds: number;
}

/** What issue 14 asks for: 10,000 subscribers against 1,000, 2,000 changes/s. */
export const ORDERS_LIVE_BENCH: OrdersLiveSize = {
  users: 10_000,
  orders: 100_000,
  subscribers: [1000, 10_000],
  changesPerSecond: 2000,
  seconds: 10,
};

export interface OrdersLiveRun {
  readonly subscribers: number;
  /** Changes the writer committed, and the rate it achieved. */
  readonly committed: number;
  readonly changesPerSecond: number;
  /** Changes whose owner's socket received them exactly once. */
  readonly delivered: number;
  /** Changes the owner did not receive but whose later state (a later change of the order) it did. */
  readonly superseded: number;
  /** Committed changes the owner never received, nor any later state of. */
  readonly missing: number;
  /** Frames that reached a socket not the row's owner's, or that carried another user's row. */
  readonly misdelivered: number;
  /** Frames received more than once by the owner. */
  readonly duplicates: number;
  /** Frames that were not an `orders` change (errors, for instance). */
  readonly otherFrames: number;
  readonly latency: Percentiles;
  /** Fast's CPU time over the run ÷ delivered changes, µs. */
  readonly fastCpuPerChangeUs: number;
  /** The client process's CPU time ÷ wall time (pinned to core 1). */
  readonly clientBusyShare: number;
  /** Resident memory of the client (every socket open) and of fast, at the end of the run. */
  readonly clientRssBytes: number;
  readonly fastRssBytes: number;
}

export interface OrdersLiveResults {
  readonly size: OrdersLiveSize;
  readonly runs: readonly OrdersLiveRun[];
}

const script = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));

/** Node raises its soft open-files limit to the hard one at start; the hard one must fit every socket. */
function checkOpenFilesLimit(sockets: number): void {
  const line = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const hard = line?.[1] === 'unlimited' ? Infinity : Number(line?.[1]);
  const needed = sockets + 1024;
  if (hard < needed)
    throw new Error(
      `The live orders bench opens ${sockets} WebSockets from one process (and fast accepts as many), but the hard open-files limit is ${hard}. Raise it to at least ${needed} (as root: \`ulimit -Hn ${needed}\` in the shell that runs the bench, or LimitNOFILE= for a service) and run again.`,
    );
}

/** VmRSS of a live process, from /proc. */
function residentBytes(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) * 1024;
}

/** Waits for the child's next IPC message of `type` (or its exit). */
function nextMessage<T>(child: ChildProcess, type: string | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${child.spawnfile} exited (${code})`));
    const onMessage = (message: T & { type?: string }) => {
      if (type !== undefined && message.type !== type) return;
      child.off('message', onMessage).off('exit', onExit);
      resolve(message);
    };
    child.on('message', onMessage).once('exit', onExit);
  });
}

/** The first `count` seeded users (id order, as the pool's) and, for each, one of their orders (the writer's targets). */
async function subscribedUsers(databaseUrl: string, count: number) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const users = await client.query<{ id: string; email: string }>(
      `select id::text as id, email from users where email like 'seed-user-%' order by id limit $1`,
      [count],
    );
    const orders = await client.query<{ id: number; user_id: string }>(
      `select min(o.id) as id, o.user_id::text as user_id from orders o
       join (select id from users where email like 'seed-user-%' order by id limit $1) u on u.id = o.user_id
       group by o.user_id`,
      [count],
    );
    const orderOf = new Map(orders.rows.map((row) => [row.user_id, Number(row.id)]));
    return users.rows.map((row) => ({ ...row, orderId: orderOf.get(row.id) }));
  } finally {
    await client.end();
  }
}

/** Matches the writer's commits with the client's deliveries. */
function tally(commits: WriterReport['commits'], report: ClientReport) {
  const owners = new Map(commits.map((c) => [c.seq, c]));
  const seen = new Map<number, number>();
  const latencies: number[] = [];
  let misdelivered = 0;
  let duplicates = 0;
  for (const d of report.deliveries) {
    const commit = owners.get(d.seq);
    if (!commit) continue; // an earlier run's frame, or a change outside this run
    if (d.socketUser !== commit.owner || d.rowUser !== d.socketUser) {
      misdelivered += 1;
      continue;
    }
    const times = (seen.get(d.seq) ?? 0) + 1;
    seen.set(d.seq, times);
    if (times > 1) duplicates += 1;
    else latencies.push(d.receivedAt - commit.committedAt);
  }
  // A missed change whose owner received a later change of the same order was superseded (its frame
  // carried the later state); any other miss is a lost change.
  const latestSeen = new Map<string, number>();
  for (const seq of seen.keys()) {
    const owner = owners.get(seq)!.owner;
    latestSeen.set(owner, Math.max(seq, latestSeen.get(owner) ?? 0));
  }
  const missed = commits.filter((c) => !seen.has(c.seq));
  const superseded = missed.filter((c) => (latestSeen.get(c.owner) ?? 0) > c.seq).length;
  return {
    delivered: seen.size,
    superseded,
    missing: missed.length - superseded,
    misdelivered,
    duplicates,
    latency: percentiles(latencies),
  };
}

/**
 * Waits for the frames still on their way: until the client has as many as were committed, or its count
 * has not grown for 2 s (at most 20 s). A fixed wait would count a late frame as a lost change.
 */
async function drain(client: ChildProcess, committed: number): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    const counted = nextMessage<{ deliveries: number }>(client, 'count');
    client.send({ type: 'count' });
    const { deliveries } = await counted;
    if (deliveries >= committed) return;
    if (deliveries !== last) [last, stableSince] = [deliveries, Date.now()];
    else if (Date.now() - stableSince >= 2000) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function measureSubscribers(options: {
  readonly fast: ServiceProcess;
  readonly databaseUrl: string;
  readonly users: readonly { id: string; token: string; orderId: number | undefined }[];
  readonly subscribers: number;
  readonly size: OrdersLiveSize;
  readonly firstSeq: number;
}): Promise<OrdersLiveRun> {
  const users = options.users.slice(0, options.subscribers);
  const client = fork(script('orders-live-client'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execPath: 'taskset',
    execArgv: ['-c', '1', process.execPath],
  });
  try {
    const opened = nextMessage(client, 'open');
    client.send({
      type: 'open',
      url: options.fast.url,
      users: users.map(({ id, token }): ClientUser => ({ id, token })),
    });
    await opened;
    await new Promise((resolve) => setTimeout(resolve, 500)); // the last subscriptions settle
    const writer = fork(script('orders-writer'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const written = nextMessage<WriterReport>(writer, undefined);
    const plan: WriterPlan = {
      databaseUrl: options.databaseUrl,
      targets: users.flatMap((u) => (u.orderId === undefined ? [] : [[u.orderId, u.id] as const])),
      changesPerSecond: options.size.changesPerSecond,
      seconds: options.size.seconds,
      firstSeq: options.firstSeq,
    };
    const fastBefore = readCpu([options.fast.child.pid!]);
    client.send({ type: 'start' });
    writer.send(plan);
    const writerReport = await written;
    await drain(client, writerReport.commits.length);
    const reported = nextMessage<ClientReport>(client, 'report');
    client.send({ type: 'stop' });
    const clientReport = await reported;
    const fastSeconds = cpuSecondsBetween(fastBefore, readCpu([options.fast.child.pid!]));
    const counts = tally(writerReport.commits, clientReport);
    return {
      subscribers: users.length,
      committed: writerReport.commits.length,
      changesPerSecond: writerReport.commits.length / writerReport.wallSeconds,
      ...counts,
      otherFrames: clientReport.otherFrames,
      fastCpuPerChangeUs: (fastSeconds / Math.max(1, counts.delivered)) * 1e6,
      clientBusyShare: clientReport.busyShare,
      clientRssBytes: clientReport.rssBytes,
      fastRssBytes: residentBytes(options.fast.child.pid!),
    };
  } finally {
    client.kill();
  }
}

/**
 * Seeds `size` on PostgreSQL (default ORDERS_LIVE_BENCH), mints one token per subscriber by the
 * password grant, starts fast pinned to core 0 and measures each subscriber count in turn.
 */
export async function measureOrdersLive(options: {
  readonly pgServer: string;
  readonly secretKey: string;
  readonly size?: OrdersLiveSize;
  readonly log?: (message: string) => void;
}): Promise<OrdersLiveResults> {
  const size = options.size ?? ORDERS_LIVE_BENCH;
  const log = options.log ?? (() => undefined);
  const most = Math.max(...size.subscribers);
  checkOpenFilesLimit(most);
  log(`postgresql: live orders, seeding ${size.orders} orders over ${size.users} users`);
  const { database, env } = await prepareOrders('postgresql', size, options.pgServer, options.secretKey);
  const started: ServiceProcess[] = [];
  try {
    const owners = await subscribedUsers(database.url, most);
    const auth = await startPoolAuth(env);
    started.push(auth);
    log(`postgresql: live orders, minting ${owners.length} users' tokens`);
    const tokens = await passwordTokens(
      auth.url,
      owners.map((owner) => owner.email),
    );
    const users = owners.map((owner, i) => ({ ...owner, token: tokens[i]! }));
    const fast = await startContestant('tandem', { env, authUrl: auth.url, cpus: '0' });
    started.push(fast);
    const runs: OrdersLiveRun[] = [];
    for (const [i, subscribers] of size.subscribers.entries()) {
      log(
        `postgresql: live orders, ${subscribers} subscribers, ${size.changesPerSecond} changes/s for ${size.seconds} s`,
      );
      runs.push(
        await measureSubscribers({
          fast,
          databaseUrl: database.url,
          users,
          subscribers,
          size,
          firstSeq: (i + 1) * 10_000_000,
        }),
      );
    }
    return { size, runs };
  } finally {
    for (const server of started.reverse()) await server.stop();
    await database.drop();
  }
}
