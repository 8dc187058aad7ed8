import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { Client } from './client.js';
import { User } from './user.js';

const p = defineEntity.properties;

/**
 * One OAuth 2.0 authorization code (RFC 6749 §4.1), issued by the auth service's authorization
 * endpoint after the user signed in (and consented). Only the SHA-256 of the code is stored. Single
 * use and short-lived: the token endpoint claims it with a conditional UPDATE; presenting it again
 * revokes the session it issued (`sessionId`), as RFC 6749 §4.1.2 asks.
 */
export const AuthorizationCode = defineEntity({
  name: 'AuthorizationCode',
  tableName: 'authorization_codes',
  properties: {
    /** Hex SHA-256 of the code; the code itself is never stored. */
    codeHash: p.string().length(64).primary().hidden(),
    client: () => p.manyToOne(Client).deleteRule('cascade').index(),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    /**
     * The redirect_uri of the authorization request, compared exactly at the exchange; '' when the
     * request had none. '' is unambiguous: an empty parameter counts as absent at both endpoints and
     * registered URIs are absolute (services/auth/test/redirect-uri-absent.test.ts). Kept, not NULL:
     * SQLite cannot change a column's nullability in place (a hand-written table rebuild).
     */
    redirectUri: p.text(),
    /** Space-separated scopes granted. */
    scope: p.text().default(''),
    /** PKCE S256 challenge (base64url SHA-256 of the verifier, 43 characters). */
    codeChallenge: p.string().length(128),
    /** OpenID Connect nonce, echoed in the ID token. */
    nonce: p.text().nullable(),
    /** When the user last authenticated (ID token auth_time). */
    authTime: p.datetime(),
    /** Authentication methods (RFC 8176), space-separated, e.g. `pwd` or `pwd otp`. */
    amr: p.string().length(64).default('pwd'),
    /** Authentication context class, when known. */
    acr: p.string().length(64).nullable(),
    /** The sign-in (login_sessions.id) the code came from: RP-initiated logout ends what it issued. */
    loginSessionId: p.string().length(64).nullable().index(),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    /** The session the code's exchange started (revoked if the code is presented again). */
    sessionId: p.string().length(36).nullable(),
  },
});

export type AuthorizationCode = InferEntity<typeof AuthorizationCode>;
