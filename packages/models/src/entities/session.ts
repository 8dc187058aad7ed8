import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { Client } from './client.js';
import { User } from './user.js';
import { throwIfInvalid, type FieldErrors } from '../validation.js';

const p = defineEntity.properties;

/**
 * One login (a refresh-token family) or one machine client's token run. Its id is the `sid` claim of
 * every access token issued in it. Revoking it (revokedAt) ends every refresh token of the family at
 * once, and the fast service learns of it through the change feed (triggers on this table), so the
 * session's access tokens stop working before their `exp`.
 */
export const Session = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    /** Random UUID, the `sid` claim. */
    id: p.string().length(36).primary(),
    /** Exactly one of user / client is set: a person's login or a machine client's session. */
    user: () => p.manyToOne(User).nullable().deleteRule('cascade').index(),
    client: () => p.manyToOne(Client).nullable().deleteRule('cascade').index(),
    /**
     * The client a user's session was issued to (authorization code flow): its refresh tokens are
     * bound to that client (RFC 6749 §6, RFC 9700 §4.14) and refused for any other or for none. Null
     * for a password-grant session (it began with no client) and for a machine client's own session
     * (`client` is its owner). Deleting the client deletes these sessions (its users' tokens end).
     */
    authorizedClient: () => p.manyToOne(Client).nullable().deleteRule('cascade').index(),
    /** password, authorization_code or client_credentials: how the session began (CHECK in both dialects). */
    grantType: p.string().length(32),
    /** Space-separated scopes granted when the session began; a refresh can only narrow them. */
    scope: p.text().default(''),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
    /**
     * Last token issued in this session; idle expiry counts from here. Indexed, as `expiresAt`: the
     * ended-session purge (@tandem/tokens purge-ended.ts) finds its rows by `expires_at < ? or
     * last_used_at < ?`, one range per index (PostgreSQL BitmapOr, SQLite's OR by union); the liveness
     * checks reach a session by its id, user or client first and need neither.
     */
    lastUsedAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP')
      .index(),
    /** Absolute end of the session, whatever its activity. */
    expiresAt: p.datetime().index(),
    revokedAt: p.datetime().nullable(),
    /** Why it was revoked: revoked (RFC 7009 / staff), refresh_token_reuse, client_deactivated... */
    revokedReason: p.string().length(40).nullable(),
  },
  hooks: {
    beforeCreate: [({ entity }) => validateSession(entity)],
    beforeUpdate: [({ entity }) => validateSession(entity)],
  },
});

export type Session = InferEntity<typeof Session>;

export function validateSession(session: { user?: unknown; client?: unknown; grantType?: unknown }): void {
  const errors: FieldErrors = {};
  if ((session.user == null) === (session.client == null))
    errors.user = 'A session belongs to either a user or a client.';
  if (typeof session.grantType !== 'string' || session.grantType === '')
    errors.grantType = 'Grant type is required.';
  throwIfInvalid(errors);
}
