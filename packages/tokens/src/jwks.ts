import type { PublicSigningJwk } from '@tandem/models';
import { toPublicJwk } from './key-material.js';

/** RFC 7517 JWK Set as served at /.well-known/jwks.json. */
export interface JwksDocument {
  readonly keys: readonly PublicSigningJwk[];
}

/** Builds the JWKS from the published keys (next, current, previous), re-filtering every member. */
export function buildJwks(keys: Iterable<{ kid: string; publicJwk: PublicSigningJwk }>): JwksDocument {
  return { keys: [...keys].map((key) => toPublicJwk(key.publicJwk, key.kid)) };
}
