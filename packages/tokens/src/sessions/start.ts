import { randomUUID } from 'node:crypto';
import { RefreshToken, Session, User, type Orm } from '@tandem/models';
import type { TokenConfig } from '@tandem/config';
import { formatScope } from '../claims.js';
import { hashRefreshToken, newRefreshToken } from '../opaque-tokens.js';

type Em = Orm['em'];

/**
 * How a session began, stored in sessions.grant_type (the CHECK constraint of both dialects lists the
 * same values): a user's password grant or authorization code exchange, or a machine client's grant.
 */
export const SESSION_GRANT_TYPES = ['password', 'authorization_code', 'client_credentials'] as const;
export type SessionGrantType = (typeof SESSION_GRANT_TYPES)[number];

/** A new session row, as both the ORM (password grant) and the raw insert (client grant) store it. */
export interface NewSession {
  readonly id: string;
  readonly userId: number | null;
  readonly clientPk: number | null;
  /** The client a user's session was issued to (authorization code flow); null otherwise. */
  readonly authorizedClientPk: number | null;
  readonly grantType: SessionGrantType;
  readonly scope: string;
  readonly now: Date;
  readonly expiresAt: Date;
}

/** What a session is given at its start whoever owns it: a random id (the `sid`), its start and its absolute end. */
export interface SessionStart {
  readonly id: string;
  readonly now: Date;
  readonly expiresAt: Date;
}

/**
 * A session's id and lifetime, for a statement that learns the owner only as it runs (the code
 * exchange's one statement on PostgreSQL takes the user and client from the code it claims).
 */
export function sessionStart(
  settings: Pick<TokenConfig, 'sessionAbsoluteTtlSeconds'>,
  now: Date,
): SessionStart {
  return {
    id: randomUUID(),
    now,
    expiresAt: new Date(now.getTime() + settings.sessionAbsoluteTtlSeconds * 1000),
  };
}

/**
 * A session's fields at its start: a random id (the `sid`) and its absolute end. A user's session
 * says which grant started it (`via`) and, for the code flow, the client it was issued to (its
 * refresh tokens work for that client only); a client's is always client_credentials.
 */
export function newSession(
  owner:
    | { userId: number; via: 'password'; clientPk?: undefined; issuedTo?: undefined }
    | { userId: number; via: 'authorization_code'; issuedTo: number; clientPk?: undefined }
    | { clientPk: number; userId?: undefined; via?: undefined; issuedTo?: undefined },
  scopes: readonly string[],
  settings: Pick<TokenConfig, 'sessionAbsoluteTtlSeconds'>,
  now: Date,
): NewSession {
  const { id, expiresAt } = sessionStart(settings, now);
  return {
    id,
    userId: owner.userId ?? null,
    clientPk: owner.clientPk ?? null,
    authorizedClientPk: owner.issuedTo ?? null,
    grantType: owner.via ?? 'client_credentials',
    scope: formatScope(scopes),
    now,
    expiresAt,
  };
}

/** The raw insert of a NewSession (hot path), bound in this order by insertSessionBindings. */
export const INSERT_SESSION_SQL = `insert into sessions (id, user_id, client_id, authorized_client_id, grant_type, scope,
         created_at, last_used_at, expires_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export function insertSessionBindings<T>(session: NewSession, at: (date: Date) => T): unknown[] {
  const { id, userId, clientPk, authorizedClientPk, grantType, scope, now, expiresAt } = session;
  return [id, userId, clientPk, authorizedClientPk, grantType, scope, at(now), at(now), at(expiresAt)];
}

interface StartedSession {
  readonly sid: string;
  readonly refreshToken: string;
}

/**
 * Starts a user's login session (a refresh-token family) and returns its id and first refresh token.
 * The password grant passes the stored hash its password was verified against
 * (`checkedPasswordHash`): the session then starts only while that is still the user's password, and
 * undefined says it is not (changed since the check). Without it (fixtures), the session just starts.
 */
export function startUserSession(
  em: Em,
  userId: number,
  scopes: readonly string[],
  settings: Pick<TokenConfig, 'sessionAbsoluteTtlSeconds'>,
  now: Date,
): Promise<StartedSession>;
export function startUserSession(
  em: Em,
  userId: number,
  scopes: readonly string[],
  settings: Pick<TokenConfig, 'sessionAbsoluteTtlSeconds'>,
  now: Date,
  checkedPasswordHash: string,
): Promise<StartedSession | undefined>;
export async function startUserSession(
  em: Em,
  userId: number,
  scopes: readonly string[],
  settings: Pick<TokenConfig, 'sessionAbsoluteTtlSeconds'>,
  now: Date,
  checkedPasswordHash?: string,
): Promise<StartedSession | undefined> {
  const fields = newSession({ userId, via: 'password' }, scopes, settings, now);
  return em.transactional(async (tx) => {
    // First, and only while the password is the one the grant verified: it takes the user's row, so
    // a password change racing this grant either waits for it and then revokes the session (it locks
    // the same row, endUserSignIns), or committed before and leaves this grant nothing to update.
    const current = await tx.nativeUpdate(
      User,
      checkedPasswordHash === undefined ? { id: userId } : { id: userId, passwordHash: checkedPasswordHash },
      { lastLoginAt: now },
    );
    if (checkedPasswordHash !== undefined && current === 0) return undefined;
    const session = tx.create(Session, {
      id: fields.id,
      user: tx.getReference(User, userId),
      grantType: fields.grantType,
      scope: fields.scope,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: fields.expiresAt,
    });
    const refreshToken = newRefreshToken();
    tx.create(RefreshToken, {
      session,
      tokenHash: hashRefreshToken(refreshToken),
      createdAt: now,
      usedAt: null,
    });
    return { sid: session.id, refreshToken };
  });
}
