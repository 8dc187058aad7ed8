import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWrkScript, type WrkRun } from './wrk.js';
import { tandem, type BenchCatalog } from './catalog.js';
import { summarize, type Measurement } from './throughput.js';
import { prepareCodeClient, prepareCodePool } from './code-pool.js';
const script = (name: string) => fileURLToPath(new URL(`../../bench/${name}`, import.meta.url));
export const CLIENT_CREDENTIALS_SCRIPT = script('wrk-client-credentials.lua');
export const REFRESH_SCRIPT = script('wrk-refresh.lua');
export const AUTHORIZATION_CODE_SCRIPT = script('wrk-authorization-code.lua');
/** Codes prepared per second of a run: more than one core exchanges, so the pool never runs dry. */
const CODES_PER_SECOND = 8_000;
const CONNECTIONS = 32;

/** Per grant: tokens/s (requestsPerSecond), the auth process's CPU time per token, wrk's busy share. */
export interface GrantRates {
  readonly clientCredentials: Measurement;
  readonly refresh: Measurement;
  /** Authorization code exchanges (code → access, refresh and ID token). */
  readonly authorizationCode: Measurement;
}

/** The auth service under test: its URL and its process, whose CPU time is measured. */
export interface AuthUnderTest {
  readonly url: string;
  readonly pid: number;
}

/** How long a run lasts and whether it is the warm-up (whose figures are thrown away). */
interface GrantRunLength {
  readonly seconds: number;
  readonly warmup: boolean;
}

/**
 * One wrk run from core 1 against the auth service. A refused request fails the measurement, and so
 * does a socket error (a token that took over wrk's 2 s timeout) in a measured run. In the warm-up,
 * where the first requests meet a cold JIT and 32 connections opening at once, socket errors are
 * only reported: that run's figures are not used.
 */
async function grantRun(
  grant: string,
  auth: AuthUnderTest,
  script: string,
  { seconds, warmup }: GrantRunLength,
  env: Record<string, string>,
): Promise<WrkRun> {
  const result = await runWrkScript({
    url: auth.url,
    script,
    seconds,
    connections: CONNECTIONS,
    env,
    serverPids: [auth.pid],
  });
  const problem = `${grant}: ${result.non2xx} non-2xx answers, ${result.socketErrors} socket errors`;
  if (result.non2xx > 0 || (result.socketErrors > 0 && !warmup)) throw new Error(problem);
  if (result.socketErrors > 0) process.stderr.write(`bench: warm-up ${problem} (figures not used)\n`);
  return result;
}

/**
 * Refresh tokens to start the chains from: one password grant per connection, one at a time. The
 * login throttle reserves a guess's points before its password is checked and gives them back on
 * success, so 32 parallel logins to one account are refused ("Too many failed login attempts").
 */
async function refreshChains(authUrl: string, email: string, password: string): Promise<string> {
  const tokens: string[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const response = await fetch(`${authUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: email, password }),
    });
    const body = (await response.json()) as { refresh_token?: string };
    if (!body.refresh_token) throw new Error(`password grant failed: ${JSON.stringify(body)}`);
    tokens.push(body.refresh_token);
  }
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tandem-refresh-')), 'tokens.txt');
  writeFileSync(file, tokens.join('\n'));
  return file;
}

/**
 * The three hot grants against the auth service pinned to core 0, with wrk on core 1 for both, each
 * after a warm-up run: tokens/s and the auth process's CPU time per token (the database's is not
 * counted: PostgreSQL's backends are not auth's processes). Refresh tokens are single-use, so
 * wrk-refresh.lua chains them: each answer's refresh token is spent by a later request.
 */
export async function measureGrants(
  auth: AuthUnderTest,
  catalog: BenchCatalog,
  plan: { warmupSeconds: number; seconds: number; runs: number },
): Promise<GrantRates> {
  const warmedUp = async (measure: (length: GrantRunLength) => Promise<WrkRun>) => {
    await measure({ seconds: plan.warmupSeconds, warmup: true });
    const runs: WrkRun[] = [];
    for (let i = 0; i < plan.runs; i++) runs.push(await measure({ seconds: plan.seconds, warmup: false }));
    return summarize(runs);
  };
  const clientCredentials = await warmedUp((length) =>
    grantRun('client_credentials', auth, CLIENT_CREDENTIALS_SCRIPT, length, {
      WRK_CLIENT_ID: catalog.client.id,
      WRK_CLIENT_SECRET: catalog.client.secret,
    }),
  );

  // A user per run: an account's sign-ins are capped per window, successes included
  // (LOGIN_THROTTLE_ACCOUNT_SIGN_INS), and each run starts its chains with CONNECTIONS of them.
  const password = 'bench refresh password';
  let chainsStarted = 0;
  const refresh = await warmedUp(async (length) => {
    const email = `bench-${Date.now()}-${chainsStarted++}@example.com`;
    await tandem(['createuser', email, '--role', 'reader'], { ...catalog.env, TANDEM_PASSWORD: password });
    return grantRun('refresh_token', auth, REFRESH_SCRIPT, length, {
      WRK_REFRESH_TOKENS_FILE: await refreshChains(auth.url, email, password),
    });
  });

  // A fresh pool per run (codes are single use), prepared before wrk starts.
  const app = await prepareCodeClient(catalog);
  const authorizationCode = await warmedUp(async (length) =>
    grantRun(
      'authorization_code',
      auth,
      AUTHORIZATION_CODE_SCRIPT,
      length,
      (await prepareCodePool(catalog, app, length.seconds * CODES_PER_SECOND)).env,
    ),
  );
  return { clientCredentials, refresh, authorizationCode };
}
