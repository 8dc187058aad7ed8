/**
 * Load generator for the refresh_token grant. Refresh tokens are single-use, so wrk cannot replay a
 * fixed body: each of N chains posts its current refresh token and continues with the one it gets
 * back, for a fixed time. Prints {"completed":n,"errors":n,"seconds":s} as its last line.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const authUrl = process.env.AUTH_URL ?? '';
const seconds = Number(process.env.SECONDS ?? 5);
const chains = readFileSync(process.env.REFRESH_TOKENS_FILE ?? '', 'utf8')
  .split('\n')
  .filter(Boolean);

let completed = 0;
let errors = 0;
const started = performance.now();
const deadline = started + seconds * 1000;

async function chain(initial: string): Promise<void> {
  let token = initial;
  while (performance.now() < deadline) {
    const response = await fetch(`${authUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`,
    });
    const body = (await response.json()) as { refresh_token?: string };
    if (!response.ok || !body.refresh_token) {
      errors += 1;
      return;
    }
    token = body.refresh_token;
    completed += 1;
  }
}

await Promise.all(chains.map(chain));
console.log(JSON.stringify({ completed, errors, seconds: (performance.now() - started) / 1000 }));
