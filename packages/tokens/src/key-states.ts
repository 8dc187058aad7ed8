import type { TokenConfig } from '@tandem/config';
import type { SigningKeyState } from '@tandem/models';

/**
 * Signing-key life cycle (one key per state except previous/retired):
 *
 *   next ──rotate──▶ current ──rotate──▶ previous ──retireAfter passed──▶ retired
 *
 * - next: in the JWKS but not signing, so every verifier can learn it before the first token it signs.
 * - current: the one key that signs.
 * - previous: stopped signing, still in the JWKS until every token it signed has expired.
 * - retired: out of the JWKS; its private key is erased.
 */
export const PUBLISHED_STATES: readonly SigningKeyState[] = ['next', 'current', 'previous'];

export function isPublished(state: SigningKeyState): boolean {
  return PUBLISHED_STATES.includes(state);
}

export type KeyTiming = Pick<
  TokenConfig,
  'accessTokenTtlSeconds' | 'signingKeyGraceSeconds' | 'signingKeyRefreshSeconds'
>;

/**
 * When a key that stops signing at `deactivatedAt` may leave the JWKS: a running auth service may keep
 * signing with it until its next key refresh, its last token lives one access-token TTL, and the grace
 * period covers clock skew and verifiers' leeway.
 */
export function retireAfterFor(deactivatedAt: Date, timing: KeyTiming): Date {
  const seconds =
    timing.signingKeyRefreshSeconds + timing.accessTokenTtlSeconds + timing.signingKeyGraceSeconds;
  return new Date(deactivatedAt.getTime() + seconds * 1000);
}
