import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AUTHORIZATION_CODE_SCRIPT, CLIENT_CREDENTIALS_SCRIPT, REFRESH_SCRIPT } from './auth-grants.js';
import { WRK_PAIRS_SCRIPT, WRK_SCRIPT } from './wrk.js';
import { WRK_WRITES_SCRIPT } from './writes.js';

const run = promisify(execFile);
const CHECK_SCRIPT = fileURLToPath(new URL('../../bench/wrk-pool-check.lua', import.meta.url));

export interface PoolCheck {
  /** request() calls measured. */
  readonly calls: number;
  /** Bytes the Lua heap grew by over those calls, with its collector stopped. */
  readonly allocatedBytes: number;
  /** Distinct request strings among the answers. */
  readonly distinct: number;
  /** Answers that are not a complete HTTP/1.1 request with a Host header. */
  readonly malformed: number;
  /** The `pool_size` global the script exposes (0 for scripts without one). */
  readonly poolSize: number;
  /** Whether the requests carry `Authorization: Bearer`. */
  readonly authorized: boolean;
}

/**
 * Runs a wrk request script's request() `calls` times inside wrk's own LuaJIT (wrk-pool-check.lua)
 * and reports what those calls allocated: a script that hands out pre-formatted requests allocates
 * nothing per call, one that builds a request per call allocates hundreds of bytes each time.
 */
export async function checkRequestPool(
  script: string,
  env: Record<string, string>,
  calls = 10_000,
): Promise<PoolCheck> {
  const { stdout } = await run('wrk', ['-s', CHECK_SCRIPT, 'http://127.0.0.1:9/'], {
    env: { ...process.env, ...env, WRK_CHECK_SCRIPT: script, WRK_CHECK_CALLS: String(calls) },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as PoolCheck;
}

/** Under 1 byte per call on average: nothing is built per request (building costs 100+ bytes). */
export function assertPreformatted(name: string, check: PoolCheck): void {
  if (check.malformed > 0) throw new Error(`${name}: ${check.malformed} malformed requests`);
  if (check.allocatedBytes >= check.calls)
    throw new Error(
      `${name}: request() allocated ${check.allocatedBytes} bytes over ${check.calls} calls; it builds requests per call instead of handing out pre-formatted ones`,
    );
}

/**
 * Every request script the harness drives wrk with, checked with stand-in tokens: the product GETs
 * (record and list, with a token pool), the (path, token) pairs of owners' rows, the refresh chain,
 * the client_credentials request and the order writes (each a distinct write: its own Idempotency-Key).
 * Throws on the first that builds requests per call. Run before any measurement.
 */
export async function checkHarnessScripts(): Promise<Record<string, PoolCheck>> {
  const calls = 10_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-pool-check-'));
  const tokensFile = path.join(dir, 'tokens.txt');
  writeFileSync(tokensFile, Array.from({ length: 1000 }, (_, i) => `stand-in-token-${i}`).join('\n'));
  const pairsFile = path.join(dir, 'pairs.txt');
  writeFileSync(
    pairsFile,
    // Five orders per stand-in user, as an owner has several.
    Array.from({ length: 5000 }, (_, i) => `/v1/orders/${i + 1}\tstand-in-token-${i % 1000}`).join('\n'),
  );
  const refreshFile = path.join(dir, 'refresh.txt');
  writeFileSync(refreshFile, Array.from({ length: calls + 1 }, (_, i) => `stand-in-refresh-${i}`).join('\n'));
  const checks: Record<string, PoolCheck> = {
    record: await checkRequestPool(WRK_SCRIPT, {
      WRK_KIND: 'record',
      WRK_MAX_ID: '10000',
      WRK_TOKENS_FILE: tokensFile,
    }),
    list: await checkRequestPool(WRK_SCRIPT, {
      WRK_KIND: 'list',
      WRK_MAX_ID: '10000',
      WRK_TOKENS_FILE: tokensFile,
    }),
    pairs: await checkRequestPool(WRK_PAIRS_SCRIPT, { WRK_REQUESTS_FILE: pairsFile }),
    refresh_token: await checkRequestPool(REFRESH_SCRIPT, { WRK_REFRESH_TOKENS_FILE: refreshFile }, calls),
    authorization_code: await checkRequestPool(
      AUTHORIZATION_CODE_SCRIPT,
      {
        WRK_CODES_FILE: refreshFile,
        WRK_CLIENT_ID: 'stand-in',
        WRK_REDIRECT_URI: 'https%3A%2F%2Fbench.example%2Fcallback',
        WRK_CODE_VERIFIER: 'stand-in-verifier',
      },
      calls,
    ),
    client_credentials: await checkRequestPool(CLIENT_CREDENTIALS_SCRIPT, {
      WRK_CLIENT_ID: 'stand-in',
      WRK_CLIENT_SECRET: 'stand-in',
    }),
    // A pool as large as the calls: the harness sizes it above what a run sends.
    writes: await checkRequestPool(WRK_WRITES_SCRIPT, {
      WRK_TOKENS_FILE: tokensFile,
      WRK_PRODUCTS: '100',
      WRK_KEY_PREFIX: 'stand-in',
      WRK_POOL_SIZE: String(calls),
    }),
  };
  for (const [name, check] of Object.entries(checks)) assertPreformatted(name, check);
  // A repeated Idempotency-Key is a replay, not an accepted write: the writes run must never send one.
  if (checks.writes!.distinct !== checks.writes!.calls)
    throw new Error(`writes: ${checks.writes!.distinct} distinct requests in ${checks.writes!.calls} calls`);
  return checks;
}
