import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, parseWrkOutput } from './wrk.js';
import { tandem, type BenchCatalog } from './catalog.js';

const run = promisify(execFile);
const CLIENT_CREDENTIALS_SCRIPT = fileURLToPath(
  new URL('../../bench/wrk-client-credentials.lua', import.meta.url),
);
const REFRESH_LOAD = fileURLToPath(new URL('./refresh-load.js', import.meta.url));

export interface GrantRates {
  readonly clientCredentialsPerSecond: number;
  readonly refreshPerSecond: number;
}

/** Tokens/s of the two hot grants against the auth service pinned to core 0 (load from core 1). */
export async function measureGrants(
  authUrl: string,
  catalog: BenchCatalog,
  plan: { seconds: number; runs: number },
): Promise<GrantRates> {
  const clientRates: number[] = [];
  for (let i = 0; i < plan.runs; i++) {
    const { stdout } = await run(
      'taskset',
      [
        '-c',
        '1',
        'wrk',
        '-t1',
        '-c32',
        `-d${plan.seconds}s`,
        '--latency',
        '-s',
        CLIENT_CREDENTIALS_SCRIPT,
        authUrl,
      ],
      { env: { ...process.env, WRK_CLIENT_ID: catalog.client.id, WRK_CLIENT_SECRET: catalog.client.secret } },
    );
    const result = parseWrkOutput(stdout);
    if (result.non2xx > 0) throw new Error(`client_credentials: ${result.non2xx} non-2xx answers`);
    clientRates.push(result.requestsPerSecond);
  }

  const email = `bench-${Date.now()}@example.com`;
  const password = 'bench refresh password';
  await tandem(['createuser', email, '--password', password, '--role', 'reader'], catalog.env);
  const refreshRates: number[] = [];
  for (let i = 0; i < plan.runs; i++) {
    const chains = await Promise.all(
      Array.from({ length: 32 }, async () => {
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
    writeFileSync(file, chains.join('\n'));
    const { stdout } = await run('taskset', ['-c', '1', process.execPath, REFRESH_LOAD], {
      env: { ...process.env, AUTH_URL: authUrl, REFRESH_TOKENS_FILE: file, SECONDS: String(plan.seconds) },
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      completed: number;
      errors: number;
      seconds: number;
    };
    if (result.errors > 0) throw new Error(`refresh_token: ${result.errors} chains failed`);
    refreshRates.push(result.completed / result.seconds);
  }
  return { clientCredentialsPerSecond: median(clientRates), refreshPerSecond: median(refreshRates) };
}
