import { defineEntity, type InferEntity } from '@mikro-orm/core';

const p = defineEntity.properties;

/** Life of a signing key: published before it signs, published after it stops until its tokens expire. */
export const SIGNING_KEY_STATES = ['next', 'current', 'previous', 'retired'] as const;
export type SigningKeyState = (typeof SIGNING_KEY_STATES)[number];

/** The public JWK as published in the JWKS (never holds private members). */
export interface PublicSigningJwk {
  kty: string;
  crv?: string;
  x?: string;
  kid: string;
  alg: string;
  use: 'sig';
}

/**
 * An Ed25519 key that signs access tokens. States: next (in the JWKS, not signing yet) → current (the
 * one key that signs) → previous (not signing, still in the JWKS until every token it signed has
 * expired: `retireAfter`) → retired (out of the JWKS, private key erased). The private key is stored
 * encrypted (AES-256-GCM, key derived from TANDEM_SECRET_KEY; see @tandem/tokens key-encryption).
 */
export const SigningKey = defineEntity({
  name: 'SigningKey',
  tableName: 'signing_keys',
  properties: {
    id: p.integer().primary().autoincrement(),
    /** RFC 7638 thumbprint of the public key, the `kid` header of its tokens. */
    kid: p.string().length(64).unique(),
    algorithm: p.string().length(16).default('EdDSA'),
    state: p.string().length(16).$type<SigningKeyState>(),
    publicJwk: p.json<PublicSigningJwk>(),
    /** `v1.<iv>.<ciphertext>.<tag>` (base64url); null once retired. Never serialized or shown. */
    privateKeyEncrypted: p.text().nullable().hidden().lazy(true, false),
    /** Published (became next). */
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
    /** Started signing (became current). */
    activatedAt: p.datetime().nullable(),
    /** Stopped signing (became previous). */
    deactivatedAt: p.datetime().nullable(),
    /** A previous key leaves the JWKS after this instant: its last token's exp plus a grace period. */
    retireAfter: p.datetime().nullable(),
    retiredAt: p.datetime().nullable(),
  },
  uniques: [
    // At most one key signs and at most one waits: rotation is unambiguous even with two rotators.
    {
      name: 'signing_keys_one_current',
      expression:
        "create unique index signing_keys_one_current on signing_keys (state) where state = 'current'",
    },
    {
      name: 'signing_keys_one_next',
      expression: "create unique index signing_keys_one_next on signing_keys (state) where state = 'next'",
    },
  ],
});

export type SigningKey = InferEntity<typeof SigningKey>;
