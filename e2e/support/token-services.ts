/**
 * The token path end to end: the compiled auth and fast services as child processes on one database
 * (fast finds auth's keys through its discovery document), a user's password login, a refresh, and the
 * README's "revoked tokens are refused within a second" deadline the revocation tests share.
 */
import assert from 'node:assert/strict';
import { E2E_SECRET_KEY } from './admin-process.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from './service-process.js';

/**
 * The README promises that a revoked session's tokens are refused within a second of the commit. The
 * waits give up at twice that: the second second is margin for a loaded runner (the revoking request,
 * a feed read, one HTTP round trip per try), not room for a slower path such as a snapshot reload.
 */
export const REVOCATION_DEADLINE_MS = 2_000;

export interface TokenServices {
  readonly auth: ServiceProcess;
  readonly fast: ServiceProcess;
  /** Every process started, in start order (stop them in reverse). */
  readonly processes: ServiceProcess[];
}

const serviceSettings = (databaseUrl: string, env: Record<string, string>) => ({
  DATABASE_URL: databaseUrl,
  HOST: '127.0.0.1',
  TANDEM_SECRET_KEY: E2E_SECRET_KEY,
  ...env,
});

/** Fast on the change feed's default timings, trusting `authUrl`'s tokens (also to start it again). */
export function startFastService(
  databaseUrl: string,
  authUrl: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  return startServiceProcess('fast', ENTRY_POINTS.fast, {
    env: {
      ...serviceSettings(databaseUrl, env),
      FAST_PORT: '0',
      TOKEN_ISSUER: authUrl,
      FEED_POLL_MS: '10',
      FEED_FALLBACK_POLL_MS: '1000',
    },
  });
}

/**
 * Auth, then fast on the change feed's default timings (the promise is made for the defaults); `env`
 * adds settings to both (e.g. CORS_ALLOWED_ORIGINS).
 */
export async function startTokenServices(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<TokenServices> {
  const processes: ServiceProcess[] = [];
  try {
    const auth = await startServiceProcess('auth', ENTRY_POINTS.auth, {
      env: { ...serviceSettings(databaseUrl, env), AUTH_PORT: '0' },
    });
    processes.push(auth);
    const fast = await startFastService(databaseUrl, auth.url, env);
    processes.push(fast);
    return { auth, fast, processes };
  } catch (error) {
    for (const service of processes.reverse()) await service.stop();
    throw error;
  }
}

export interface UserTokens {
  readonly access_token: string;
  readonly refresh_token: string;
}

/** RFC 6749 password grant with scope catalog:read; fails the test unless it is a 200. */
export async function passwordLogin(authUrl: string, email: string, password: string): Promise<UserTokens> {
  const response = await fetch(`${authUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: email, password, scope: 'catalog:read' }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as UserTokens;
}

/** The status of a refresh_token grant (200 while the session lives, 400 invalid_grant after). */
export async function refreshStatus(authUrl: string, refreshToken: string): Promise<number> {
  const response = await fetch(`${authUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Runs `fn`; if it fails, prints every service's log first, to see where a revocation got stuck. */
export async function withServiceLogs(
  processes: readonly ServiceProcess[],
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn();
  } catch (error) {
    for (const service of processes)
      process.stdout.write(`# ${service.name} log:\n${service.logs().replace(/^/gm, '#   ')}\n`);
    throw error;
  }
}
