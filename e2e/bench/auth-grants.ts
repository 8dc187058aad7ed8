import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, parseWrkOutput } from './wrk.js';
import { tandem, type BenchCatalog } from './catalog.js';

const run = promisify(execFile);
const script = (name: string) => fileURLToPath(new URL(`../../bench/${name}`, import.meta.url));
const CLIENT_CREDENTIALS_SCRIPT = script('wrk-client-credentials.lua');
const REFRESH_SCRIPT = script('wrk-refresh.lua');
const CONNECTIONS = 32;

export interface GrantRates {
  readonly clientCredentialsPerSecond: number;
  readonly refreshPerSecond: number;
}

/** One wrk run from core 1 against the auth service; any refused request fails the measurement. */
async function tokensPerSecond(
  grant: string,
  authUrl: string,
  scriptFile: string,
  seconds: number,
  env: Record<string, string>,
): Promise<number> {
  const { stdout } = await run(
    'taskset',
    ['-c', '1', 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', scriptFile, authUrl],
    { env: { ...process.env, ...env } },
  );
  const result = parseWrkOutput(stdout);
  if (result.non2xx > 0 || result.socketErrors > 0)
    throw new Error(`${grant}: ${result.non2xx} non-2xx answers, ${result.socketErrors} socket errors`);
  return result.requestsPerSecond;
}

/** Refresh tokens to start the chains from: one password grant per connection. */
async function refreshChains(authUrl: string, email: string, password: string): Promise<string> {
  const tokens = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const response = await fetch(`${authUrl}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', username: email, password }),
      });
      const body = (await response.json()) as { refresh_token?: string };
      if (!body.refresh_token) throw new Error(`password grant failed: ${JSON.stringify(body)}`);
      return body.refresh_token;
    }),
  );
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tandem-refresh-')), 'tokens.txt');
  writeFileSync(file, tokens.join('\n'));
  return file;
}

/**
 * Tokens/s of the two hot grants against the auth service pinned to core 0, with wrk on core 1 for
 * both, each after a warm-up run. Refresh tokens are single-use, so wrk-refresh.lua chains them: each
 * answer's refresh token is spent by a later request.
 */
export async function measureGrants(
  authUrl: string,
  catalog: BenchCatalog,
  plan: { warmupSeconds: number; seconds: number; runs: number },
): Promise<GrantRates> {
  const warmedUpMedian = async (measure: (seconds: number) => Promise<number>) => {
    await measure(plan.warmupSeconds);
    const rates: number[] = [];
    for (let i = 0; i < plan.runs; i++) rates.push(await measure(plan.seconds));
    return median(rates);
  };
  const clientCredentialsPerSecond = await warmedUpMedian((seconds) =>
    tokensPerSecond('client_credentials', authUrl, CLIENT_CREDENTIALS_SCRIPT, seconds, {
      WRK_CLIENT_ID: catalog.client.id,
      WRK_CLIENT_SECRET: catalog.client.secret,
    }),
  );

  const email = `bench-${Date.now()}@example.com`;
  const password = 'bench refresh password';
  await tandem(['createuser', email, '--password', password, '--role', 'reader'], catalog.env);
  const refreshPerSecond = await warmedUpMedian(async (seconds) =>
    tokensPerSecond('refresh_token', authUrl, REFRESH_SCRIPT, seconds, {
      WRK_REFRESH_TOKENS_FILE: await refreshChains(authUrl, email, password),
    }),
  );
  return { clientCredentialsPerSecond, refreshPerSecond };
}
