import type { Config } from '@tandem/config';
import type { Logger } from '@tandem/log';
import { AccessTokenVerifier, RemoteJwks } from '@tandem/tokens';
import { Authenticator } from './http/auth.js';
import { CoarseClock } from './http/coarse-clock.js';
import type { FastMetrics } from './observability/metrics.js';
import { RevokedSessions } from './revocations.js';

/**
 * The fast service's trust in the auth service's tokens (docs/architecture.md, token issue → local
 * verify → revocation through the feed): the issuer's public keys, a verifier with its cache and
 * coarse clock, the sessions the feed said were revoked, and the Authenticator every route asks.
 */
export class TokenTrust {
  readonly jwks: RemoteJwks;
  readonly verifier: AccessTokenVerifier;
  readonly revoked: RevokedSessions;
  readonly auth: Authenticator;
  private readonly clock = new CoarseClock();

  /** `closeSession` ends a revoked session's live connections (the LiveHub's). */
  constructor(config: Config, metrics: FastMetrics, closeSession: (sid: string) => void) {
    const settings = config.fast;
    this.jwks = new RemoteJwks({
      issuer: config.tokens.issuer,
      jwksUrl: settings.jwksUrl,
      minRefetchIntervalMs: settings.jwksRefetchMinSeconds * 1000,
      refreshIntervalMs: settings.jwksRefreshSeconds * 1000,
    });
    this.verifier = new AccessTokenVerifier({
      now: this.clock.now,
      jwks: this.jwks,
      issuer: config.tokens.issuer,
      audience: config.tokens.audience,
      leewaySeconds: settings.tokenLeewaySeconds,
      cacheSize: settings.tokenCacheSize,
    });
    this.revoked = new RevokedSessions(closeSession);
    this.auth = new Authenticator(this.verifier, this.revoked, metrics);
  }

  /**
   * Fetches the keys ahead of the first request. If auth is not up yet, RemoteJwks retries in the
   * background (0.5 s, doubling) and an unknown kid may refetch at once; /healthz is 503 until keys
   * are held.
   */
  fetchKeys(logger: Logger): void {
    void this.jwks.refresh(true).then(() => {
      if (this.jwks.lastError)
        logger.warn({ err: this.jwks.lastError }, 'JWKS not loaded yet; retrying in the background');
    });
  }

  stop(): void {
    this.jwks.stop();
    this.clock.stop();
  }
}
