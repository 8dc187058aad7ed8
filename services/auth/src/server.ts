import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningService, ServiceOptions } from '@tandem/service';
import { LoginThrottle, clientAddressReader } from '@tandem/accounts';
import {
  AccessTokenSigner,
  ClientSecretHasher,
  IdTokenSigner,
  SigningKeyRing,
  ensureSigningKeys,
  requireSecretKey,
  retireExpiredKeys,
} from '@tandem/tokens';
import { BrowserCookies } from './authorize/cookies.js';
import { CsrfGuard } from './authorize/csrf.js';
import { FreshSignIns } from './authorize/fresh-sign-in.js';
import { clientSessionWindow } from './client-auth.js';
import { ClientLookups } from './client-lookups.js';
import { CodeRedemptions } from './code-redemptions.js';
import { PendingSignIns } from './authorize/pending-sign-in.js';
import { authTwoFactor } from './authorize/two-factor-step.js';
import { CorsPolicy } from './cors.js';
import type { AuthDeps } from './deps.js';
import { createRequestListener } from './handler.js';
import { startKeyMaintenance } from './key-maintenance.js';
import { AuthMetrics } from './metrics.js';
import { AuthStore } from './store.js';

/** `port` overrides config.ports.auth (tests pass 0). */
export type StartAuthOptions = ServiceOptions;

export interface AuthServer extends RunningService {
  readonly issuer: string;
  readonly deps: AuthDeps;
  /** Re-reads signing keys now (otherwise every SIGNING_KEY_REFRESH_SECONDS). */
  refreshKeys(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function baseUrl(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/**
 * Starts the auth service: makes sure signing keys exist (first start creates them), loads them, and
 * listens. The issuer is TOKEN_ISSUER; an issuer on port 0 (tests, AUTH_PORT=0) means the bound URL.
 */
export async function startAuth(options: StartAuthOptions): Promise<AuthServer> {
  const { config, orm, logger } = options;
  const secretKey = requireSecretKey(config);
  const created = await ensureSigningKeys(orm.em, secretKey);
  if (created.length > 0) logger.info({ kids: created }, 'signing keys created');
  await retireExpiredKeys(orm.em);
  const keys = new SigningKeyRing(secretKey);
  await keys.refresh(orm.em);
  // With REDIS_URL the throttle's counters are shared through Redis: start only once it answers.
  const throttle = new LoginThrottle(config.loginThrottle);
  try {
    await throttle.ready();
  } catch (error) {
    await throttle.close();
    throw new Error(`login throttle: Redis (REDIS_URL) is unreachable: ${(error as Error).message}`);
  }
  const hazard = await throttle.redisHazard();
  if (hazard) logger.error(`login throttle: ${hazard} Until then it counts in this process's memory.`);

  const server = createServer();
  server.keepAliveTimeout = 5_000;
  const address = await listen(server, options.port ?? config.ports.auth, config.host).catch(
    async (error: unknown) => {
      await throttle.close();
      throw error;
    },
  );
  const url = baseUrl(address);
  const issuer = new URL(config.tokens.issuer).port === '0' ? url : config.tokens.issuer;

  const store = new AuthStore(orm, config.database.dialect);
  const cookies = new BrowserCookies(issuer);
  const deps: AuthDeps = {
    config,
    issuer,
    orm,
    store,
    logger,
    keys,
    signer: new AccessTokenSigner({ ...config.tokens, issuer }, keys),
    clientSecrets: new ClientSecretHasher(secretKey),
    clientLookups: new ClientLookups((ids) =>
      store.queries.findClients(ids, clientSessionWindow(config.tokens, new Date())),
    ),
    codeRedemptions:
      config.database.dialect === 'postgresql'
        ? new CodeRedemptions((attempts) => store.queries.readAndRedeemMany(attempts))
        : undefined,
    throttle,
    clientAddress: clientAddressReader(config.trustedProxies),
    metrics: new AuthMetrics(),
    idTokens: new IdTokenSigner(keys),
    cookies,
    csrf: new CsrfGuard(secretKey, cookies),
    freshSignIns: new FreshSignIns(secretKey),
    pendingSignIns: new PendingSignIns(secretKey),
    twoFactor: authTwoFactor(config, orm, secretKey),
    cors: new CorsPolicy(orm, config.corsAllowedOrigins),
  };
  // The code guesses' throttle shares Redis with the password throttle (checked just above).
  await deps.twoFactor.ready();
  await deps.cors.origins.keepFresh((err) => logger.warn({ err }, 'CORS origins not read; retrying'));
  server.on('request', createRequestListener(deps));
  const maintenance = startKeyMaintenance(deps);

  return {
    url,
    issuer,
    deps,
    refreshKeys: maintenance.runOnce,
    close: () =>
      new Promise<void>((resolve, reject) => {
        maintenance.stop();
        deps.cors.origins.stop();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }).finally(() => Promise.all([throttle.close(), deps.twoFactor.close()])),
  };
}
