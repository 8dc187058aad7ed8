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
 * What a password grant checked before it starts its session, checked again inside the session's
 * transaction once the user's row is taken, so that a change to the account committed meanwhile (a
 * password changed, the account deactivated, a second factor turned on, a role taken away: each takes
 * the same row first, revokeUserSessions / revokeSessionsBeyondRoleScopes) either waits for this
 * session and then ends it, or committed first and refuses it here.
 */
export interface SessionGuard<R extends string> {
  /** The stored hash the password was verified against: the session starts only while it is still the user's. */
  readonly passwordHash: string;
  /** The scopes to grant the account as it is now, or why it may not have a session any more. */
  readonly admit: (tx: Em) => Promise<{ readonly scopes: readonly string[] } | { readonly refused: R }>;
}

/**
 * Starts a user's login session (a refresh-token family) and returns its id and first refresh token.
 * The password grant passes a SessionGuard: the session then starts only while the user is active
 * with the password the grant verified, with the scopes `admit` gives; otherwise what refused it
 * (`password_changed`: the password changed or the account was deactivated). Without a guard
 * (fixtures), the session just starts.
 */
export function startUserSession(
  em: Em,
  userId: number,
  scopes: readonly string[],
  settings: Pick<TokenConfig, 'sessionAbsoluteTtlSeconds'>,
  now: Date,
): Promise<StartedSession>;
export function startUserSession<R extends string>(
  em: Em,
  userId: number,
  scopes: undefined,
  settings: Pick<TokenConfig, 'sessionAbsoluteTtlSeconds'>,
  now: Date,
  guard: SessionGuard<R>,
): Promise<
  (StartedSession & { readonly scopes: readonly string[] }) | { readonly refused: R | 'password_changed' }
>;
export async function startUserSession<R extends string>(
  em: Em,
  userId: number,
  scopes: readonly string[] | undefined,
  settings: Pick<TokenConfig, 'sessionAbsoluteTtlSeconds'>,
  now: Date,
  guard?: SessionGuard<R>,
): Promise<
  | StartedSession
  | (StartedSession & { readonly scopes: readonly string[] })
  | { readonly refused: R | 'password_changed' }
> {
  try {
    return await startInTransaction(em, userId, scopes, settings, now, guard);
  } catch (error) {
    // Refused: the transaction rolled back, the user's lastLoginAt with it.
    if (error instanceof SessionRefused) return { refused: error.reason as R | 'password_changed' };
    throw error;
  }
}

/** Thrown inside startUserSession's transaction to roll it back when its guard refuses the session. */
class SessionRefused extends Error {
  constructor(readonly reason: string) {
    super(`session refused: ${reason}`);
  }
}

function startInTransaction<R extends string>(
  em: Em,
  userId: number,
  scopes: readonly string[] | undefined,
  settings: Pick<TokenConfig, 'sessionAbsoluteTtlSeconds'>,
  now: Date,
  guard: SessionGuard<R> | undefined,
): Promise<StartedSession | (StartedSession & { readonly scopes: readonly string[] })> {
  return em.transactional(async (tx) => {
    // First: it takes the user's row (see SessionGuard), and only while the account is active with
    // the password the grant verified.
    const current = await tx.nativeUpdate(
      User,
      guard === undefined ? { id: userId } : { id: userId, passwordHash: guard.passwordHash, isActive: true },
      { lastLoginAt: now },
    );
    let granted = scopes ?? [];
    if (guard !== undefined) {
      if (current === 0) throw new SessionRefused('password_changed');
      const admitted = await guard.admit(tx);
      if ('refused' in admitted) throw new SessionRefused(admitted.refused);
      granted = admitted.scopes;
    }
    const fields = newSession({ userId, via: 'password' }, granted, settings, now);
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
    return guard === undefined
      ? { sid: session.id, refreshToken }
      : { sid: session.id, refreshToken, scopes: granted };
  });
}
