/**
 * The write path (issue 15) as real processes, shared by the failure tests (writes-failures.test.ts)
 * and the writes benchmark (bench/writes.ts): a database seeded by `tandem seed` (hot products, users
 * whose role may write orders), the auth service minting the users' tokens by the password grant, the
 * fast service taking writes into the queue, and `tandem applier` processes applying them.
 */
import { tandem } from '../bench/catalog.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from './service-process.js';

/** What a writer's token carries: place orders, read their outcomes, and read orders and the catalog. */
export const WRITER_SCOPES = ['catalog:read', 'orders:read', 'orders:write', 'writes:read'] as const;

/** The password `tandem seed --users` gives the writers here. */
export const WRITER_PASSWORD = 'writes-e2e-password';

export interface WritesDatabase {
  /** DATABASE_URL and TANDEM_SECRET_KEY for every process. */
  readonly env: Record<string, string>;
  /** The seeded users' emails, in id order. */
  readonly emails: readonly string[];
}

/**
 * Seeds `products` products (all published, each with `stock`) and `users` users into a migrated
 * database, as a user would (`tandem seed`), and gives the seeded users' role the write scopes: done
 * here rather than relied upon from the seed so the scopes a writer needs are stated where they are used.
 */
export async function seedWriters(
  env: Record<string, string>,
  sql: (query: string) => Promise<unknown>,
  size: { readonly products: number; readonly users: number; readonly stock: number },
): Promise<WritesDatabase> {
  await tandem(['seed', '--products', String(size.products), '--users', String(size.users)], {
    ...env,
    TANDEM_PASSWORD: WRITER_PASSWORD,
  });
  // Constants only (no user input): an untyped literal is cast to the json column by both dialects.
  await sql(`update roles set scopes = '${JSON.stringify(WRITER_SCOPES)}' where name = 'reader'`);
  await sql(`update products set published = true, stock = ${Math.trunc(size.stock)}`);
  const emails = Array.from(
    { length: size.users },
    (_, i) => `seed-user-${String(i + 1).padStart(6, '0')}@example.com`,
  );
  return { env, emails };
}

export interface Writer {
  readonly email: string;
  /** The token's `sub`: the user id as decimal. */
  readonly subject: string;
  readonly token: string;
}

/** One access token per email (password grant, WRITER_SCOPES), eight logins at a time. */
export async function writerTokens(authUrl: string, emails: readonly string[]): Promise<Writer[]> {
  const writers: Writer[] = [];
  for (let i = 0; i < emails.length; i += 8) {
    const batch = emails.slice(i, i + 8).map(async (email): Promise<Writer> => {
      const response = await fetch(`${authUrl}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          username: email,
          password: WRITER_PASSWORD,
          scope: WRITER_SCOPES.join(' '),
        }),
      });
      const json = (await response.json()) as { access_token?: string };
      if (!json.access_token)
        throw new Error(`token of ${email}: ${response.status} ${JSON.stringify(json)}`);
      const payload = JSON.parse(Buffer.from(json.access_token.split('.')[1]!, 'base64url').toString()) as {
        sub: string;
      };
      return { email, subject: payload.sub, token: json.access_token };
    });
    writers.push(...(await Promise.all(batch)));
  }
  return writers;
}

/** The auth service minting the writers' tokens (every login from 127.0.0.1: no per-address limit). */
export function startWritesAuth(env: Record<string, string>): Promise<ServiceProcess> {
  return startServiceProcess('auth', ENTRY_POINTS.auth, {
    env: {
      ...env,
      AUTH_PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOGIN_THROTTLE_ADDRESS_ATTEMPTS: '1000000',
    },
  });
}

/**
 * Settings of the write path for fast and the applier. The per-subject rate limit and the stock a
 * buyer's unpaid orders may hold are raised out of reach: these runs send thousands of orders from a
 * few dozen users and pay for none, and both limits have tests of their own. The hold limit stays on,
 * so its count still runs for every order placed.
 */
export function writePathEnv(options: {
  readonly redisUrl: string | undefined;
  /** Prefix of the queue's Redis keys (one per test file or bench run). */
  readonly redisPrefix: string;
  readonly extra?: Record<string, string>;
}): Record<string, string> {
  return {
    ...(options.redisUrl !== undefined && { REDIS_URL: options.redisUrl }),
    WRITE_REDIS_PREFIX: options.redisPrefix,
    WRITE_RATE_PER_SECOND: '1000000',
    WRITE_RATE_BURST: '1000000',
    ORDER_HOLD_MAX_UNITS: '1000000000',
    ...options.extra,
  };
}

/** Fast, taking writes (and serving reads), on the feed's test timings. */
export function startWritesFast(
  env: Record<string, string>,
  authUrl: string,
  options: { readonly cpus?: string; readonly nodeArgs?: readonly string[] } = {},
): Promise<ServiceProcess> {
  return startServiceProcess('fast', ENTRY_POINTS.fast, {
    ...(options.cpus && { cpus: options.cpus }),
    ...(options.nodeArgs && { nodeArgs: options.nodeArgs }),
    timeoutMs: 120_000,
    env: {
      ...env,
      FAST_PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      TOKEN_ISSUER: authUrl,
      TOKEN_AUDIENCE: 'tandem',
      FEED_POLL_MS: '10',
      FEED_FALLBACK_POLL_MS: '1000',
    },
  });
}

/** `tandem applier`, announcing itself ready over IPC like `tandem relay`. */
export function startApplier(
  name: string,
  env: Record<string, string>,
  options: { readonly cpus?: string } = {},
): Promise<ServiceProcess> {
  return startServiceProcess(name, ENTRY_POINTS.tandem, {
    args: ['applier'],
    ...(options.cpus && { cpus: options.cpus }),
    env: { ...env, NODE_ENV: 'production' },
  });
}

/**
 * Stops a process started with an IPC channel: closes the channel too (a `tandem` command waits for
 * SIGTERM or the channel closing, as under `tandem start`), then waits for the exit.
 */
export async function stopCommand(service: ServiceProcess): Promise<void> {
  if (service.child.connected) service.child.disconnect();
  await service.stop();
}

/** The body of an order of `lines` (product id, quantity). */
export function orderBody(lines: readonly (readonly [number, number])[]): string {
  return JSON.stringify({ lines: lines.map(([productId, quantity]) => ({ productId, quantity })) });
}

export interface PostAnswer {
  readonly status: number;
  /** The write id of a 202 (or of a replayed write). */
  readonly writeId: number | undefined;
  readonly body: string;
}

/** POST /v1/orders as a client would send it. */
export async function postOrder(
  fastUrl: string,
  token: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<PostAnswer> {
  const response = await fetch(`${fastUrl}/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  let writeId: number | undefined;
  try {
    const json = JSON.parse(text) as { id?: unknown };
    if (typeof json.id === 'number') writeId = json.id;
  } catch {
    // Not JSON: an error page; the status says what happened.
  }
  return { status: response.status, writeId, body: text };
}

/** Runs `task(i)` for i < count with at most `concurrency` running at once; results in order. */
export async function inParallel<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
