import { MAX_ACCESS_TOKEN_TTL_SECONDS, MAX_TOKEN_LEEWAY_SECONDS } from '@tandem/config';

/**
 * How long an access token may still be accepted after its session stopped issuing tokens: the
 * longest TTL an issuer may use plus the longest leeway a verifier may allow. The largest allowed
 * values, not the configured ones: the issuer's configuration is not the verifier's to know.
 */
export const TOKENS_OUTLIVE_SESSION_SECONDS = MAX_ACCESS_TOKEN_TTL_SECONDS + MAX_TOKEN_LEEWAY_SECONDS;
export const TOKENS_OUTLIVE_SESSION_MS = TOKENS_OUTLIVE_SESSION_SECONDS * 1000;

/**
 * A token can be signed a moment after its session's revoked_at: a refresh that read the session as
 * live before the revocation committed signs after it, and the clocks of the auth replicas and of
 * whoever stamped revoked_at differ a little. A minute covers both, generously.
 */
export const ISSUED_AFTER_END_MS = 60_000;

/** How long past the end of a session's issuing (the earlier of expires_at and revoked_at) to remember its revocation. */
export const REVOCATION_KEPT_MS = TOKENS_OUTLIVE_SESSION_MS + ISSUED_AFTER_END_MS;

/**
 * Until when a revoked session's revocation must be remembered: min(expires_at, revoked_at) plus
 * REVOCATION_KEPT_MS. No token is issued once a session is revoked or expired, whichever comes first,
 * and each lives at most TTL + leeway: none is accepted after that. Not max(expires_at, revoked_at),
 * as before: a session revoked long before its end (client credentials revoked right after use, a
 * 30-day session) was remembered, on every fast node, for its whole 30 days, and a client revoking in
 * a loop grew that set by ~10 million entries a day. Not expires_at alone either: a token issued just
 * before a revocation near the session's end lives TTL + leeway past it. Both sources' snapshot queries
 * select revoked sessions by the same bound. `revokedAtMs` null (not revoked): from expires_at.
 */
export function revocationKeptUntilMs(expiresAtMs: number, revokedAtMs: number | null): number {
  return Math.min(expiresAtMs, revokedAtMs ?? expiresAtMs) + REVOCATION_KEPT_MS;
}
