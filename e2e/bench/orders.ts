/**
 * The per-user rows of issue 14 under load: a record GET of the caller's own order and the caller's
 * 50-item "my orders" list, on 1,000,000 orders over 100,000 users, with a pool of access tokens of
 * different users, against the same-bytes ceiling. Each request pairs a token with a path that belongs
 * to its user (wrk-pairs.lua): a random order id with a random token would measure 404s.
 *
 * run.ts calls `measureOrders` per dialect (a tenth of the size in quick mode); report-orders.ts
 * renders the rows. The live push to the owners is orders-live.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openOrm } from '@tandem/models';
import { createTestDatabase, type TestDatabase } from '@tandem/models/testing';
import {
  ENTRY_POINTS,
  startServiceProcess,
  withOutputOf,
  type ServiceProcess,
} from '../support/service-process.js';
import { tandem, type Dialect } from './catalog.js';
import { fetchBytes, startContestant } from './contestants.js';
import { PACED_PAUSE_MS, type CeilingPair, type PacedControl } from './efficiency-check.js';
import { measureInterleaved, type RunPlan } from './throughput.js';

export interface OrdersBenchSize {
  readonly users: number;
  readonly orders: number;
  /** Users whose tokens make the pool; each is given `listItems` orders, interleaved with others' ids. */
  readonly tokens: number;
  readonly listItems: number;
}

/** What issue 14 asks for. */
export const ORDERS_BENCH: OrdersBenchSize = {
  users: 100_000,
  orders: 1_000_000,
  tokens: 1000,
  listItems: 50,
};

/** The password `tandem seed --users` gives the bench's users (the password grant mints their tokens). */
const PASSWORD = 'bench-orders-password';

export interface OrdersResults {
  readonly size: OrdersBenchSize;
  /** Ceiling and Tandem, as measured interleaved. */
  readonly record: CeilingPair;
  readonly list: CeilingPair;
  /** Both again at an equal pace (efficiency-check.ts): wrk is the bound of the pairs above on these VMs. */
  readonly pacedRecord?: PacedControl;
  readonly pacedList?: PacedControl;
}

/** A fresh database with `tandem seed --users --orders`, as a user would make it. */
export async function prepareOrders(
  dialect: Dialect,
  size: Pick<OrdersBenchSize, 'users' | 'orders'>,
  pgServer: string,
  secretKey: string,
) {
  const database = await createTestDatabase(dialect === 'postgresql' ? pgServer : 'sqlite:');
  const env = { DATABASE_URL: database.url, TANDEM_SECRET_KEY: secretKey };
  await tandem(['migrate'], env);
  await tandem(['seed', '--users', String(size.users), '--orders', String(size.orders)], {
    ...env,
    TANDEM_PASSWORD: PASSWORD,
  });
  return { database, env };
}

/**
 * The pool's users (the first `size.tokens` seeded ones) each get `listItems` orders: those whose id is
 * congruent to their place in the pool, so a user's orders are spread over the collection like anyone's
 * (never one contiguous block of bytes) and a 50-item list is a full page. Returns the pool's users.
 */
async function givePoolUsersOrders(database: TestDatabase, size: OrdersBenchSize) {
  const orm = await openOrm(database.target);
  try {
    const connection = orm.em.getConnection();
    const users = (await connection.execute(
      `select id, email from users where email like 'seed-user-%' order by id limit ?`,
      [size.tokens],
    )) as { id: number | string; email: string }[];
    const span = users.length * size.listItems;
    for (const [place, user] of users.entries())
      await connection.execute(`update orders set user_id = ? where id <= ? and id % ? = ?`, [
        Number(user.id),
        span,
        users.length,
        place,
      ]);
    const owned = (await connection.execute(`select id, user_id from orders where id <= ?`, [span])) as {
      id: number | string;
      user_id: number | string;
    }[];
    return users.map((user) => ({
      email: user.email,
      orders: owned.filter((o) => Number(o.user_id) === Number(user.id)).map((o) => Number(o.id)),
    }));
  } finally {
    await orm.close();
  }
}

/** The auth service that mints a pool's tokens by the password grant. */
export function startPoolAuth(env: Record<string, string>): Promise<ServiceProcess> {
  return startServiceProcess('auth', ENTRY_POINTS.auth, {
    // Every token of the pool comes from 127.0.0.1: the per-address login limit must not stop them.
    env: {
      ...env,
      AUTH_PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOGIN_THROTTLE_ADDRESS_ATTEMPTS: '1000000',
    },
  });
}

/** One access token per user (password grant, scope orders:read), a few at a time. */
export async function passwordTokens(authUrl: string, emails: readonly string[]): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < emails.length; i += 8) {
    const batch = emails.slice(i, i + 8).map(async (email) => {
      const response = await fetch(`${authUrl}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          username: email,
          password: PASSWORD,
          scope: 'orders:read',
        }),
      });
      const json = (await response.json()) as { access_token?: string };
      if (!json.access_token)
        throw new Error(`token of ${email}: ${response.status} ${JSON.stringify(json)}`);
      return json.access_token;
    });
    tokens.push(...(await Promise.all(batch)));
  }
  return tokens;
}

/**
 * Seeds `size` (default ORDERS_BENCH), mints the pool's tokens, starts Tandem and the ceiling (handed
 * the bytes Tandem served for one of the pool's records and lists) pinned to `cpus`, and measures both,
 * interleaved, for the record GET and the my-orders list.
 */
export async function measureOrders(options: {
  readonly dialect: Dialect;
  readonly pgServer: string;
  readonly secretKey: string;
  readonly plan: RunPlan;
  readonly size?: OrdersBenchSize;
  readonly cpus?: string;
  readonly log?: (message: string) => void;
}): Promise<OrdersResults> {
  const size = options.size ?? ORDERS_BENCH;
  const log = options.log ?? (() => undefined);
  log(`${options.dialect}: seeding ${size.orders} orders over ${size.users} users`);
  const { database, env } = await prepareOrders(options.dialect, size, options.pgServer, options.secretKey);
  const started: ServiceProcess[] = [];
  try {
    const pool = await givePoolUsersOrders(database, size);
    const auth = await startPoolAuth(env);
    started.push(auth);
    log(`${options.dialect}: minting ${pool.length} users' tokens`);
    const tokens = await passwordTokens(
      auth.url,
      pool.map((user) => user.email),
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'tandem-bench-orders-'));
    const recordsFile = path.join(dir, 'records.txt');
    const listsFile = path.join(dir, 'lists.txt');
    writeFileSync(
      recordsFile,
      pool.flatMap((user, i) => user.orders.map((id) => `/v1/orders/${id}\t${tokens[i]}`)).join('\n'),
    );
    writeFileSync(
      listsFile,
      tokens.map((token) => `/v1/orders?limit=${size.listItems}\t${token}`).join('\n'),
    );
    const context = { env, authUrl: auth.url, ...(options.cpus && { cpus: options.cpus }) };
    const server = await startContestant('tandem', context);
    started.push(server);
    const record = await fetchBytes(`${server.url}/v1/orders/${pool[0]!.orders[0]}`, tokens[0]!);
    const list = await fetchBytes(`${server.url}/v1/orders?limit=${size.listItems}`, tokens[0]!);
    if (record.status !== 200 || list.status !== 200)
      throw new Error(
        `tandem answered ${record.status} (record) and ${list.status} (list) to the pool's first user`,
      );
    const items = (JSON.parse(list.body.toString('utf8')) as { items: unknown[] }).items.length;
    if (items !== size.listItems)
      throw new Error(`the pool's first user lists ${items} orders, not ${size.listItems}`);
    const ceiling = await startContestant('ceiling', {
      ...context,
      sample: { record: record.body, list: list.body },
    });
    started.push(ceiling);
    const measureKind = async (requestsFile: string, pauseMs?: number) => {
      const [onCeiling, onTandem] = await measureInterleaved(
        [ceiling, server].map((s) => ({
          baseUrl: s.url,
          kind: 'record' as const,
          maxId: 0,
          tokensFile: undefined,
          requestsFile,
          serverPids: [s.child.pid!],
          pauseMs,
        })),
        options.plan,
      );
      return { ceiling: onCeiling!, tandem: onTandem! };
    };
    const listName = `my orders (${size.listItems}-item list)`;
    log(`${options.dialect}: my order (record GET), ceiling and tandem interleaved`);
    const records = await measureKind(recordsFile);
    log(`${options.dialect}: ${listName}, ceiling and tandem interleaved`);
    const lists = await measureKind(listsFile);
    const pauseMs = PACED_PAUSE_MS;
    log(`${options.dialect}: my order and ${listName} at an equal pace (${pauseMs} ms after each answer)`);
    const pacedRecord = { pauseMs, ...(await measureKind(recordsFile, pauseMs)) };
    const pacedList = { pauseMs, ...(await measureKind(listsFile, pauseMs)) };
    return { size, record: records, list: lists, pacedRecord, pacedList };
  } catch (error) {
    throw withOutputOf(error, started);
  } finally {
    for (const server of started.reverse()) await server.stop();
    await database.drop();
  }
}
