import { AuthorizationCode, LoginSession, type Orm } from '@tandem/models';

type Em = Orm['em'];

/**
 * How long an authorization code row outlives its expiry. A code presented again revokes the session
 * its first exchange started, and that needs the row (its session_id); an hour past the code's
 * lifetime (a minute) covers any client retrying a stale redirect. After that a replay is refused as
 * an unknown code, without revoking.
 */
export const SPENT_CODE_RETENTION_SECONDS = 60 * 60;

/**
 * How long the auth service's pending sign-in (the sealed form between the password and the second
 * factor) can be posted. A sign-in one finished keeps its row at least this long, ended or not: its
 * `signInAttempt` is what refuses the same pending sign-in a second time.
 */
export const PENDING_SIGN_IN_SECONDS = 5 * 60;

export interface SignInPurge {
  /** Authorization codes deleted (used or not, expired longer than the retention). */
  readonly codes: number;
  /** Browser sign-ins deleted (ended by logout or an account change, or expired). */
  readonly loginSessions: number;
}

/**
 * Deletes the sign-in rows nothing can use any more, so authorization_codes and login_sessions do not
 * grow forever. A code whose exchange started a session is kept while its sign-in is live, whatever
 * its age: RP-initiated logout finds the token sessions to end through the sign-in's codes. Consents
 * need no purge: they go with their user or client (on delete cascade) and are what users allowed.
 * Both statements are idempotent, so several auth instances purging at once only repeat each other.
 */
export async function purgeSpentSignIns(em: Em, now: Date = new Date()): Promise<SignInPurge> {
  const cutoff = new Date(now.getTime() - SPENT_CODE_RETENTION_SECONDS * 1000);
  const liveSignIns = em
    .createQueryBuilder(LoginSession, 'l')
    .select('l.id')
    .where({ endedAt: null, expiresAt: { $gt: now } });
  const { affectedRows: codes } = await em
    .createQueryBuilder(AuthorizationCode)
    .delete()
    .where({
      expiresAt: { $lt: cutoff },
      $or: [
        { sessionId: null },
        { loginSessionId: null },
        { loginSessionId: { $nin: liveSignIns.getKnexQuery() } },
      ],
    })
    .execute('run');
  const attemptsCutoff = new Date(now.getTime() - PENDING_SIGN_IN_SECONDS * 1000);
  const loginSessions = await em.nativeDelete(LoginSession, {
    $and: [
      { $or: [{ endedAt: { $ne: null } }, { expiresAt: { $lte: now } }] },
      { $or: [{ signInAttempt: null }, { createdAt: { $lt: attemptsCutoff } }] },
    ],
  });
  return { codes, loginSessions };
}
