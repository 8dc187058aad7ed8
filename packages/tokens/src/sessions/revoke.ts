import { AuthorizationCode, LoginSession, Session, UserTotp, isPostgres, type Orm } from '@tandem/models';
import { parseScope } from '../claims.js';
import type { RevocationReason } from './reasons.js';
import { scopesOfUsers, userMayHold } from './scopes.js';

type Em = Orm['em'];

/**
 * Revoking a session ends every refresh token of its family at once (the auth service checks
 * revoked_at) and, through the change feed (triggers on `sessions`), every access token carrying its
 * `sid` at the fast service. Revocation is conditional everywhere: a session already revoked keeps
 * its first reason. Every function takes the caller's EntityManager, so a revocation commits or rolls
 * back with the change that caused it.
 */

/**
 * The raw form of revoking the session whose id `idSql` gives (a `?`, or a subquery), for the auth
 * service's hot paths: bound as (revoked_at, reason, then idSql's own bindings).
 */
export function revokeSessionSql(idSql: string): string {
  return `update sessions set revoked_at = ?, revoked_reason = ? where id = ${idSql} and revoked_at is null`;
}

/** The raw form of revokeSession, bound as (revoked_at, reason, id). */
export const REVOKE_SESSION_SQL = revokeSessionSql('?');

/** Revokes one session; false when it was already revoked or does not exist. */
export async function revokeSession(
  em: Em,
  sessionId: string,
  reason: RevocationReason,
  now: Date = new Date(),
): Promise<boolean> {
  return (await revokeWhere(em, { id: sessionId }, reason, now)) > 0;
}

/**
 * Revokes every unrevoked session of a client (e.g. when it is deactivated): its own machine
 * sessions and the users' sessions issued to it by the code flow, whose refresh tokens only it may use.
 */
export function revokeClientSessions(
  em: Em,
  clientPk: number,
  reason: RevocationReason,
  now: Date = new Date(),
): Promise<number> {
  return revokeWhere(em, { $or: [{ client: clientPk }, { authorizedClient: clientPk }] }, reason, now);
}

/**
 * Revokes every unrevoked session of a user (deactivated, password changed, staff flag removed, second
 * factor turned on...), and ends their sign-ins at the auth service's login page, so a browser that
 * signed in before the change cannot get new authorization codes without signing in again; the codes
 * it already got and no client exchanged yet are spent too (otherwise each could still start a session
 * for a minute).
 * A two-factor enrolment not confirmed yet is deleted as well: whoever started it (perhaps with a
 * stolen password) must not be able to finish it after the change; a confirmed authenticator stays.
 * (Half-done sign-ins still in a browser carry a credential stamp and fail at their next step.)
 */
export async function revokeUserSessions(
  em: Em,
  userId: number,
  reason: RevocationReason,
  now: Date = new Date(),
): Promise<number> {
  await endUserSignIns(em, userId, now);
  await em.nativeDelete(UserTotp, { user: userId, confirmedAt: null });
  return revokeWhere(em, { user: userId }, reason, now);
}

/**
 * Holds the user's row until the caller's transaction ends (PostgreSQL; SQLite has one writer at a
 * time). A sign-in, a staff login or a password grant takes the same row before it checks that the
 * password it verified is still the stored one and that no second factor is due (startSignIn,
 * startStaffSession, startUserSession), so one that raced a change to the account either committed
 * first, and is ended here, or waits and then finds the account changed. A change takes it first
 * (confirmTotp, before its authenticator's row): rows taken in one order cannot deadlock.
 */
export async function lockUser(em: Em, userId: number): Promise<void> {
  await lockUsers(em, [userId]);
}

/** lockUser for several users, taken in id order so that two such transactions cannot deadlock. */
async function lockUsers(em: Em, userIds: readonly number[]): Promise<void> {
  if (!em.isInTransaction() || !isPostgres(em)) return;
  const sorted = [...new Set(userIds)].sort((a, b) => a - b);
  // In slices (a role's users may be more than a statement's parameters), still in id order.
  for (let at = 0; at < sorted.length; at += LOCKED_PER_STATEMENT) {
    const slice = sorted.slice(at, at + LOCKED_PER_STATEMENT);
    // The lock an UPDATE of the row takes, not FOR UPDATE: that one would also wait for every
    // insert whose foreign key names the user (an authorization code being issued), and deadlock.
    await em
      .getConnection()
      .execute(
        `select 1 from users where id in (${slice.map(() => '?').join(', ')}) order by id for no key update`,
        slice,
        'all',
        em.getTransactionContext(),
      );
  }
}

const LOCKED_PER_STATEMENT = 10_000;

/**
 * Ends the user's sign-ins at the auth service's login page, and spends the codes no client exchanged
 * yet: their browsers must sign in again, under the rules that hold for the account now (a second
 * factor for staff, TWO_FACTOR_REQUIRED_FOR_STAFF). Their token sessions go on.
 */
export async function endUserSignIns(em: Em, userId: number, now: Date = new Date()): Promise<void> {
  await lockUser(em, userId);
  await em.nativeUpdate(LoginSession, { user: userId, endedAt: null }, { endedAt: now });
  await em.nativeUpdate(AuthorizationCode, { user: userId, usedAt: null }, { usedAt: now });
}

/**
 * Ends a browser's sign-in at the login page and revokes the token sessions its authorization codes
 * started: RP-initiated logout, or another person signing in on that browser. Its codes no client
 * exchanged yet are spent, so none starts a session afterwards. Returns how many sessions it revoked.
 */
export async function revokeSignInSessions(
  em: Em,
  signInId: string,
  reason: RevocationReason,
  now: Date = new Date(),
): Promise<number> {
  await em.nativeUpdate(LoginSession, { id: signInId, endedAt: null }, { endedAt: now });
  await em.nativeUpdate(AuthorizationCode, { loginSessionId: signInId, usedAt: null }, { usedAt: now });
  const codes = await em.find(
    AuthorizationCode,
    { loginSessionId: signInId, sessionId: { $ne: null } },
    { fields: ['sessionId'] },
  );
  const started = [...new Set(codes.flatMap((code) => (code.sessionId ? [code.sessionId] : [])))];
  return started.length === 0 ? 0 : revokeWhere(em, { id: { $in: started } }, reason, now);
}

/**
 * Revokes the sessions of `userIds` that hold a scope their roles no longer grant (a role lost a
 * scope, a user lost a role). The refresh grant would narrow such a session's next token anyway, but
 * the access tokens already issued carry the scope until they expire; revoking ends them now.
 * `ignoringRole`: count the users' roles without this one (it is about to be deleted).
 */
export async function revokeSessionsBeyondRoleScopes(
  em: Em,
  userIds: readonly number[],
  reason: RevocationReason,
  options: { ignoringRole?: number; now?: Date } = {},
): Promise<number> {
  if (userIds.length === 0) return 0;
  const now = options.now ?? new Date();
  // Their rows first, as revokeUserSessions takes one: a password grant taking a user's row to start
  // a session then either committed before (and its session is seen below) or reads the roles after.
  await lockUsers(em, userIds);
  const allowed = await scopesOfUsers(em, userIds, options);
  const open = await em.find(
    Session,
    { user: { $in: [...userIds] }, revokedAt: null, expiresAt: { $gt: now } },
    { fields: ['id', 'user', 'scope'] },
  );
  const beyond = open
    .filter((session) => {
      const scopes = allowed.get(session.user?.id ?? -1) ?? new Set<string>();
      return (parseScope(session.scope) ?? []).some((scope) => !userMayHold(scopes, scope));
    })
    .map((session) => session.id);
  return beyond.length === 0 ? 0 : revokeWhere(em, { id: { $in: beyond } }, reason, now);
}

async function revokeWhere(
  em: Em,
  where:
    | { id: string | { $in: string[] } }
    | { $or: [{ client: number }, { authorizedClient: number }] }
    | { user: number },
  reason: RevocationReason,
  now: Date,
): Promise<number> {
  return em.nativeUpdate(Session, { ...where, revokedAt: null }, { revokedAt: now, revokedReason: reason });
}
