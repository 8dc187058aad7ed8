/**
 * Per-user isolation under concurrent changes, property-style (issue 14): random owners, random
 * updates including owner changes and deletes, written concurrently while every user reads over HTTP
 * and listens on /v1/live. Nothing from anyone else ever reaches a user (checked on every frame and
 * every response during the run), and once the writes stop every user's view (HTTP list, WebSocket
 * collection and record topics) equals the database's rows for that user. Run on the database's own
 * feed and, with REDIS_URL, through the Redis Stream relay. A failing run prints its seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { requireBuilt } from './support/built.js';
import { eventually, startHarness, type Harness } from './support/fast.js';
import { bearer, get } from './support/http.js';
import { openLive, type LiveClient } from './support/ws.js';
import {
  STATUSES,
  createOrder,
  createUsers,
  databaseOrders,
  deleteOrder,
  random,
  served,
  updateOrder,
  userToken,
  type ServedOrder,
} from './support/orders.js';

const USERS = 6;
const ROUNDS = 12;
const WRITES_PER_ROUND = 8;
/** Record topics every user subscribes to: ids the run creates first, for random owners. */
const WATCHED_IDS = [1, 2, 3, 4, 5, 6, 7, 8];

/** One user's client: what /v1/live told it, and every rule it saw broken. */
interface Watcher {
  readonly userId: number;
  readonly token: string;
  readonly socket: LiveClient;
  /** The collection topic's view and the record topics' view, by order id. */
  readonly view: Map<number, ServedOrder>;
  readonly recordView: Map<number, ServedOrder>;
  readonly violations: string[];
}

async function watch(h: Harness, userId: number): Promise<Watcher> {
  const token = await userToken(h.issuer, userId);
  const socket = await openLive(h.fast.url, { token });
  const watcher: Watcher = { userId, token, socket, view: new Map(), recordView: new Map(), violations: [] };
  socket.socket.on('message', (data) => {
    const frame = JSON.parse(String(data));
    if (frame.type !== 'change') return;
    const view = frame.topic === 'orders' ? watcher.view : watcher.recordView;
    if (frame.op === 'upsert') {
      if (frame.data.userId !== userId)
        watcher.violations.push(`user ${userId} was sent order ${frame.id} of user ${frame.data.userId}`);
      view.set(frame.id, served(frame.data));
    } else {
      // A delete of a row the user never had would tell them that it exists.
      if (!view.has(frame.id)) watcher.violations.push(`user ${userId} was told of deleting ${frame.id}`);
      view.delete(frame.id);
    }
  });
  for (const topic of ['orders', ...WATCHED_IDS.map((id) => `orders/${id}`)]) {
    socket.send({ type: 'subscribe', topic });
    await socket.next((f) => f.type === 'subscribed' && f.topic === topic, `subscribed to ${topic}`);
  }
  return watcher;
}

/** Every order a token lists, following the cursor. */
async function listed(h: Harness, token: string): Promise<ServedOrder[]> {
  const orders: ServedOrder[] = [];
  let after: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof get>> = await get(
      `${h.fast.url}/v1/orders?limit=7${after === null ? '' : `&after=${after}`}`,
      bearer(token),
    );
    assert.equal(page.status, 200);
    orders.push(...page.json.items.map(served));
    after = page.json.next;
  } while (after !== null);
  return orders;
}

const sorted = (orders: Iterable<ServedOrder>) => [...orders].sort((a, b) => a.id - b.id);

/** HTTP reads during the writes: a user's list and a random order never show another user's rows. */
async function readWhileWriting(
  h: Harness,
  watchers: Watcher[],
  known: number[],
  next: (n: number) => number,
) {
  const w = watchers[next(watchers.length)]!;
  for (const order of await listed(h, w.token))
    if (order.userId !== w.userId)
      w.violations.push(`user ${w.userId} listed order ${order.id} of ${order.userId}`);
  if (known.length === 0) return;
  const id = known[next(known.length)]!;
  const one = await get(`${h.fast.url}/v1/orders/${id}`, bearer(w.token));
  if (one.status === 200 && one.json.userId !== w.userId)
    w.violations.push(`user ${w.userId} read order ${id} of ${one.json.userId}`);
  else if (one.status !== 200 && one.status !== 404) w.violations.push(`GET order ${id}: ${one.status}`);
}

/** One random write: a new order, a status change, an owner change or a delete. */
async function randomWrite(h: Harness, users: number[], known: number[], next: (n: number) => number) {
  const kind = known.length < WATCHED_IDS.length ? 0 : next(10);
  const owner = users[next(users.length)]!;
  const id = known[next(known.length)]!;
  if (kind < 3) known.push(await createOrder(h, owner, 100 + next(10_000)));
  else if (kind < 6) await updateOrder(h, id, { status: STATUSES[next(STATUSES.length)] });
  else if (kind < 9) await updateOrder(h, id, { userId: owner });
  else await deleteOrder(h, id);
}

async function isolationRun(h: Harness, seed: number): Promise<void> {
  const next = random(seed);
  const users = await createUsers(h, `prop-${seed}`, USERS);
  const watchers = await Promise.all(users.map((userId) => watch(h, userId)));
  const ops = await h.issuer.sign({ sub: 'client:ops', scope: 'orders:read orders:read:any' });
  const known: number[] = [];
  try {
    // The first orders take the watched ids, one at a time so that their ids are 1..8.
    for (let i = 0; i < WATCHED_IDS.length; i++) await randomWrite(h, users, known, next);
    assert.deepEqual(known, WATCHED_IDS, 'a fresh database numbers the first orders 1..8');
    for (let round = 0; round < ROUNDS; round++) {
      const writes = Array.from({ length: WRITES_PER_ROUND }, () => randomWrite(h, users, known, next));
      const reads = Array.from({ length: 3 }, () => readWhileWriting(h, watchers, known, next));
      await Promise.all([...writes, ...reads]);
    }
    const database = await databaseOrders(h);
    const rowsOf = (userId: number) => sorted([...database.values()].filter((o) => o.userId === userId));
    for (const w of watchers) {
      const expected = rowsOf(w.userId);
      const expectedRecords = expected.filter((o) => WATCHED_IDS.includes(o.id));
      await eventually(`user ${w.userId}'s live views equal the database`, () => {
        try {
          assert.deepEqual(sorted(w.view.values()), expected);
          assert.deepEqual(sorted(w.recordView.values()), expectedRecords);
          return true;
        } catch {
          return false;
        }
      });
      assert.deepEqual(await listed(h, w.token), expected, `user ${w.userId}'s list`);
      assert.deepEqual(w.violations, [], `user ${w.userId}`);
    }
    assert.deepEqual(await listed(h, ops), sorted(database.values()), 'the lifting scope lists every order');
    assert.ok(
      watchers.filter((w) => w.view.size > 0).length > 1 && database.size > WATCHED_IDS.length,
      'the run spread orders over several owners',
    );
  } catch (error) {
    throw new Error(`isolation run with seed ${seed} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const w of watchers) w.socket.close();
  }
}

const seedOf = () => Number(process.env.ROW_ACCESS_SEED ?? randomBytes(4).readUInt32LE());

test(`every user sees exactly their orders under concurrent changes (${testDialect()})`, async () => {
  const h = await startHarness();
  try {
    await isolationRun(h, seedOf());
  } finally {
    await h.close();
  }
});

const REDIS_URL = process.env.REDIS_URL;
const tandem = fileURLToPath(import.meta.resolve('@tandem/cli/bin/tandem.js'));

/** `tandem relay` for this database and stream key; resolves once it says it relays. */
async function startRelay(db: MigratedTestDatabase, streamKey: string): Promise<ChildProcess> {
  requireBuilt(new URL(import.meta.resolve('@tandem/cli')), 'packages/cli');
  const relay = spawn(process.execPath, [tandem, 'relay'], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_URL: REDIS_URL!,
      REDIS_STREAM_KEY: streamKey,
      LOG_LEVEL: 'silent',
      FEED_POLL_MS: '5',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    relay.stdout!.on('data', (chunk: Buffer) => {
      if (String(chunk).includes('Relaying changes')) resolve();
    });
    relay.once('exit', (code) => reject(new Error(`tandem relay exited with ${code}`)));
  });
  return relay;
}

test(
  `every user sees exactly their orders through the Redis Stream feed (${testDialect()})`,
  { skip: REDIS_URL ? false : 'REDIS_URL is not set: the FEED=redis run needs a real Redis' },
  async () => {
    const streamKey = `tandem-test:${randomBytes(6).toString('hex')}:changes`;
    let relay: ChildProcess | undefined;
    const h = await startHarness(
      { FEED: 'redis', REDIS_URL: REDIS_URL!, REDIS_STREAM_KEY: streamKey },
      async (db) => {
        relay = await startRelay(db, streamKey);
      },
    );
    try {
      await isolationRun(h, seedOf());
    } finally {
      await h.close();
      if (relay && relay.exitCode === null) {
        const exited = new Promise((resolve) => relay!.once('exit', resolve));
        relay.kill('SIGTERM');
        await exited;
      }
    }
  },
);
