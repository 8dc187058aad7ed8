import { createHash, sign } from 'node:crypto';
import { ACCESS_TOKEN_ALG } from './claims.js';
import type { ActiveSigningKey } from './key-ring.js';

/** The claims of an OpenID Connect ID token (Core §2) this issuer writes. */
export interface IdTokenClaims {
  readonly iss: string;
  readonly sub: string;
  /** The client the token is for (its client_id). */
  readonly aud: string;
  readonly azp: string;
  readonly iat: number;
  readonly exp: number;
  /** When the user authenticated, in seconds. */
  readonly auth_time: number;
  readonly nonce?: string;
  /** Authentication methods (RFC 8176): `pwd`, `otp`... */
  readonly amr: readonly string[];
  readonly acr?: string;
  /** Left half of the access token's SHA-512 (the hash of Ed25519), base64url (Core §3.1.3.6). */
  readonly at_hash?: string;
  /** The token session (the access tokens' `sid`), for logout. */
  readonly sid: string;
  readonly email?: string;
  readonly email_verified?: boolean;
}

/**
 * at_hash / c_hash (OpenID Connect Core §3.1.3.6): the left half of the hash the JWS algorithm uses.
 * For EdDSA with Ed25519 that hash is SHA-512 (as OpenID Foundation's certification suite and
 * panva's libraries compute it).
 */
export function leftHalfHash(value: string): string {
  const digest = createHash('sha512').update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/**
 * Signs ID tokens with the same Ed25519 key as the access tokens (header `typ: JWT`, so a verifier
 * expecting an access token (`at+jwt`) never takes an ID token for one).
 */
export class IdTokenSigner {
  /** The encoded header of the current key, made once per key rather than per token. */
  private headerFor: { kid: string; encoded: string } | undefined;

  constructor(private readonly keys: { signingKey(): ActiveSigningKey }) {}

  sign(claims: IdTokenClaims): string {
    const { kid, key } = this.keys.signingKey();
    if (this.headerFor?.kid !== kid) {
      this.headerFor = {
        kid,
        encoded: Buffer.from(JSON.stringify({ alg: ACCESS_TOKEN_ALG, typ: 'JWT', kid })).toString(
          'base64url',
        ),
      };
    }
    const input = `${this.headerFor.encoded}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${sign(null, Buffer.from(input, 'ascii'), key).toString('base64url')}`;
  }
}
