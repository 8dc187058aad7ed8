import { MAX_ACCESS_TOKEN_TTL_SECONDS, MAX_TOKEN_LEEWAY_SECONDS } from '@tandem/config';

/**
 * How long an access token may still be accepted after its session stopped issuing tokens: the
 * longest TTL an issuer may use plus the longest leeway a verifier may allow. The largest allowed
 * values, not the configured ones: the issuer's configuration is not the verifier's to know.
 */
export const TOKENS_OUTLIVE_SESSION_SECONDS = MAX_ACCESS_TOKEN_TTL_SECONDS + MAX_TOKEN_LEEWAY_SECONDS;
export const TOKENS_OUTLIVE_SESSION_MS = TOKENS_OUTLIVE_SESSION_SECONDS * 1000;

/**
 * Until when a revoked session's revocation must be remembered: max(expires_at, revoked_at) plus the
 * window above. Its tokens were issued before it was revoked and before it expired, so none is
 * accepted after that instant; forgetting the revocation at `expires_at` instead would let a token
 * of a session revoked shortly before its end be accepted again, for up to TTL + leeway. Both sources'
 * snapshot queries select revoked sessions by the same bound.
 */
export function revocationKeptUntilMs(expiresAtMs: number, revokedAtMs: number): number {
  return Math.max(expiresAtMs, revokedAtMs) + TOKENS_OUTLIVE_SESSION_MS;
}
