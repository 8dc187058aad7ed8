import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { User } from './user.js';

const p = defineEntity.properties;

/**
 * A person's sign-in at the auth service's login page (the browser cookie behind single sign-on,
 * `prompt=none` and `max_age`). The cookie holds a random token; only its SHA-256 is stored (the id).
 * Ending it (logout) also revokes the token sessions its authorization codes started.
 */
export const LoginSession = defineEntity({
  name: 'LoginSession',
  tableName: 'login_sessions',
  properties: {
    /** Hex SHA-256 of the cookie's token. */
    id: p.string().length(64).primary(),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    /** When the user authenticated (ID token auth_time). */
    authTime: p.datetime(),
    /** Authentication methods (RFC 8176), space-separated, e.g. `pwd` or `pwd otp`. */
    amr: p.string().length(64).default('pwd'),
    acr: p.string().length(64).nullable(),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
    expiresAt: p.datetime(),
    endedAt: p.datetime().nullable(),
    /**
     * Hex SHA-256 of the pending sign-in's attempt id this sign-in finished (a step after the
     * password, such as the second factor), else null. Unique: a pending sign-in finishes one sign-in,
     * so its form posted again, or twice at once, with the browser's cookies of that moment starts no
     * second one.
     */
    signInAttempt: p.string().length(64).nullable().unique(),
  },
});

export type LoginSession = InferEntity<typeof LoginSession>;
