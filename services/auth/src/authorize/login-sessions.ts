import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { AuthorizationCode, LoginSession, User, type Orm } from '@tandem/models';
import { credentialStamp } from '@tandem/accounts';
import { revokeSignInSessions } from '@tandem/tokens';
import { OTP_AMR, secondFactorDue } from '@tandem/two-factor';
import type { AuthDeps } from '../deps.js';
import type { Authentication } from './authentication.js';

export type { Authentication } from './authentication.js';

/** How long a sign-in at the login page lasts (then the login page asks again). */
export const LOGIN_SESSION_SECONDS = 8 * 60 * 60;

/** A live sign-in of the browser that sent the request. */
export interface SignedIn {
  /** login_sessions.id: SHA-256 of the cookie's token. */
  readonly id: string;
  readonly userId: number;
  readonly authTime: Date;
  readonly amr: readonly string[];
  readonly acr: string | undefined;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** The browser's live sign-in, if its cookie names one (not ended, not expired, user still active). */
export async function currentSignIn(deps: AuthDeps, req: IncomingMessage): Promise<SignedIn | undefined> {
  const token = deps.cookies.read(req, deps.cookies.login);
  if (token === undefined) return undefined;
  const row = await deps.orm.em
    .fork()
    .findOne(
      LoginSession,
      { id: hashOf(token), endedAt: null, expiresAt: { $gt: new Date() } },
      { populate: ['user'] },
    );
  if (!row || !row.user.isActive) return undefined;
  return {
    id: row.id,
    userId: row.user.id,
    authTime: row.authTime,
    amr: row.amr.split(' '),
    acr: row.acr ?? undefined,
  };
}

/** Why startSignIn started nothing. */
export type SignInRefusal =
  /** The pending sign-in (its `attempt`) already finished one: its form was posted again. */
  | 'already_finished'
  /** The stored password is no longer the one the sign-in checked: it was changed meanwhile. */
  | 'password_changed'
  /** The account was deactivated (or deleted) while it signed in. */
  | 'inactive'
  /**
   * A password-only sign-in of an account that has a second factor by now (confirmed while it signed
   * in), or must have one: the route shows the second-factor step instead.
   */
  | 'second_factor';

/** What the login page says when a sign-in whose steps passed does not start. */
export const SIGN_IN_REFUSALS: Readonly<Record<SignInRefusal, string>> = {
  already_finished: 'This sign-in was already completed. Sign in again.',
  password_changed: 'Your password was changed while you signed in. Sign in with the new one.',
  // What the password step says of an inactive account: the page does not tell it apart.
  inactive: 'Invalid email or password.',
  second_factor: 'This account now signs in with a second factor. Sign in again.',
};

/**
 * Whether a sign-in was started from this pending sign-in's attempt already. Only a courtesy check
 * before a step spends something (a recovery code); the unique column is what refuses a second one.
 */
export async function attemptFinished(deps: AuthDeps, attempt: string): Promise<boolean> {
  return (await deps.orm.em.fork().count(LoginSession, { signInAttempt: hashOf(attempt) })) > 0;
}

/** Thrown inside startSignIn's transaction to roll it back. */
class Refused extends Error {
  constructor(readonly reason: SignInRefusal) {
    super(reason);
  }
}

/**
 * Starts a sign-in; returns it and the Set-Cookie header that hands its token to the browser. The
 * token is always new (a cookie the browser brought is never promoted to a sign-in: no fixation),
 * and the sign-in that cookie named, if any, ends: one browser, one live sign-in, and nothing left
 * behind that logout would miss (replaceSignIn). Refused, with nothing started or ended, when the
 * password the sign-in checked is not the stored one any more, the account is inactive, its pending
 * sign-in finished one, or it proved the password alone and the account has a second factor now
 * (confirmed after the password step looked: docs/architecture.md, decision 13).
 */
export async function startSignIn(
  deps: AuthDeps,
  req: IncomingMessage,
  authentication: Authentication,
): Promise<{ signedIn: SignedIn; setCookie: string } | { refused: SignInRefusal }> {
  const token = randomBytes(32).toString('base64url');
  const now = new Date();
  const previous = deps.cookies.read(req, deps.cookies.login);
  const { userId } = authentication;
  let id: string;
  try {
    id = await deps.orm.em.fork().transactional(async (em) => {
      // First, the user's row (PostgreSQL holds it to the end): a password change, a deactivation or
      // a second factor confirmed racing this sign-in locks it too (endUserSignIns, confirmTotp), so
      // it either committed before and is read below, or waits and then ends this sign-in with the
      // others.
      await em.nativeUpdate(User, { id: userId }, { lastLoginAt: now });
      const user = await em.findOne(User, userId, { populate: ['passwordHash'] });
      if (!user || !user.isActive) throw new Refused('inactive');
      if (credentialStamp(user.passwordHash) !== authentication.stamp) throw new Refused('password_changed');
      if (!authentication.amr.includes(OTP_AMR) && (await secondFactorDue(em, deps.config.twoFactor, user)))
        throw new Refused('second_factor');
      const row = em.create(LoginSession, {
        id: hashOf(token),
        user: em.getReference(User, userId),
        authTime: now,
        amr: authentication.amr.join(' '),
        acr: authentication.acr ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + LOGIN_SESSION_SECONDS * 1000),
        endedAt: null,
        signInAttempt: authentication.attempt === undefined ? null : hashOf(authentication.attempt),
      });
      // Before replaceSignIn: a second finish of the same attempt stops here, before it ends anything.
      await em.flush();
      if (previous !== undefined) await replaceSignIn(em, hashOf(previous), row.id, userId, now);
      return row.id;
    });
  } catch (error) {
    if (error instanceof Refused) return { refused: error.reason };
    // The only unique value not freshly random is the attempt: this pending sign-in finished already.
    if (authentication.attempt !== undefined && error instanceof UniqueConstraintViolationException)
      return { refused: 'already_finished' };
    throw error;
  }
  return {
    signedIn: {
      id,
      userId,
      authTime: now,
      amr: authentication.amr,
      acr: authentication.acr,
    },
    setCookie: deps.cookies.header(deps.cookies.login, token, LOGIN_SESSION_SECONDS),
  };
}

/**
 * Ends the browser's previous sign-in (if still live) in favour of `nextId`. The same person signing
 * in again (prompt=login, max_age, a step-up) keeps what the previous sign-in started: its codes,
 * exchanged or not, move to the new one, so the browser's logout still revokes the token sessions
 * they started (it finds them through the live sign-in's codes). Another person signing in on the
 * browser signs the previous one out as a logout would: their token sessions started here end now,
 * not whenever someone next logs out.
 */
async function replaceSignIn(
  em: Orm['em'],
  previousId: string,
  nextId: string,
  userId: number,
  now: Date,
): Promise<void> {
  const previous = await em.findOne(LoginSession, { id: previousId, endedAt: null }, { fields: ['user'] });
  if (!previous) return;
  if (previous.user.id !== userId) {
    await revokeSignInSessions(em, previousId, 'logout', now);
    return;
  }
  // Ended first: a code being stored for it now either committed before (and moves) or is refused.
  await em.nativeUpdate(LoginSession, { id: previousId, endedAt: null }, { endedAt: now });
  await em.nativeUpdate(AuthorizationCode, { loginSessionId: previousId }, { loginSessionId: nextId });
}

/**
 * Ends a sign-in and revokes the token sessions its authorization codes started, in one transaction:
 * RP-initiated logout ends the session and its tokens. Its codes not exchanged yet are spent, so none
 * starts a session after the logout. Returns how many token sessions were revoked (0 without a sign-in).
 */
export async function endSignIn(deps: AuthDeps, signInId: string | undefined): Promise<number> {
  if (signInId === undefined) return 0;
  const now = new Date();
  return deps.orm.em.fork().transactional((em) => revokeSignInSessions(em, signInId, 'logout', now));
}

export function clearSignInCookie(deps: AuthDeps): string {
  return deps.cookies.clear(deps.cookies.login);
}
