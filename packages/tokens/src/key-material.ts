import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { PublicSigningJwk } from '@tandem/models';
import { ACCESS_TOKEN_ALG } from './claims.js';

export interface SigningKeyMaterial {
  /** RFC 7638 SHA-256 thumbprint of the public key. */
  readonly kid: string;
  readonly publicJwk: PublicSigningJwk;
  /** Holds `d`: encrypt before it touches the database, never log it. */
  readonly privateJwk: JWK;
}

/** A fresh Ed25519 key pair. */
export async function generateSigningKeyMaterial(): Promise<SigningKeyMaterial> {
  const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, {
    crv: 'Ed25519',
    extractable: true,
  });
  const publicPart = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicPart, 'sha256');
  return {
    kid,
    publicJwk: toPublicJwk(publicPart, kid),
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ACCESS_TOKEN_ALG },
  };
}

/** Only the public members an RFC 7517 JWKS entry needs: a private `d` can never slip through. */
export function toPublicJwk(jwk: JWK, kid: string): PublicSigningJwk {
  const publicJwk: PublicSigningJwk = { kty: String(jwk.kty), kid, alg: ACCESS_TOKEN_ALG, use: 'sig' };
  if (jwk.crv !== undefined) publicJwk.crv = jwk.crv;
  if (jwk.x !== undefined) publicJwk.x = jwk.x;
  return publicJwk;
}
