import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AuthorizationCode, LoginSession, Session, User } from '@tandem/models';
import type { AuthDeps } from '../deps.js';
import type { Authentication } from './authentication.js';
import { COOKIE_NAMES, cookieHeader, readCookie } from './cookies.js';

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
  const token = readCookie(req, COOKIE_NAMES.login);
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

/**
 * Starts a sign-in; returns it and the Set-Cookie header that hands its token to the browser. The
 * token is always new (a cookie the browser brought is never promoted to a sign-in: no fixation),
 * and the sign-in that cookie named, if any, ends: one browser, one live sign-in (prompt=login or
 * another person signing in on the same browser leave nothing behind that logout would miss).
 */
export async function startSignIn(
  deps: AuthDeps,
  req: IncomingMessage,
  authentication: Authentication,
  secure: boolean,
): Promise<{ signedIn: SignedIn; setCookie: string }> {
  const token = randomBytes(32).toString('base64url');
  const now = new Date();
  const em = deps.orm.em.fork();
  const previous = readCookie(req, COOKIE_NAMES.login);
  if (previous !== undefined)
    await em.nativeUpdate(LoginSession, { id: hashOf(previous), endedAt: null }, { endedAt: now });
  const row = em.create(LoginSession, {
    id: hashOf(token),
    user: em.getReference(User, authentication.userId),
    authTime: now,
    amr: authentication.amr.join(' '),
    acr: authentication.acr ?? null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + LOGIN_SESSION_SECONDS * 1000),
    endedAt: null,
  });
  await em.flush();
  await em.nativeUpdate(User, { id: authentication.userId }, { lastLoginAt: now });
  return {
    signedIn: {
      id: row.id,
      userId: authentication.userId,
      authTime: now,
      amr: authentication.amr,
      acr: authentication.acr,
    },
    setCookie: cookieHeader(COOKIE_NAMES.login, token, LOGIN_SESSION_SECONDS, secure),
  };
}

/**
 * Ends a sign-in and revokes the token sessions its authorization codes started, in one transaction:
 * RP-initiated logout ends the session and its tokens. Its codes not exchanged yet are spent, so none
 * starts a session after the logout. Returns how many token sessions were revoked (0 without a sign-in).
 */
export async function endSignIn(deps: AuthDeps, signInId: string | undefined): Promise<number> {
  if (signInId === undefined) return 0;
  const now = new Date();
  return deps.orm.em.fork().transactional(async (em) => {
    const sessionIds = new Set<string>();
    await em.nativeUpdate(LoginSession, { id: signInId, endedAt: null }, { endedAt: now });
    await em.nativeUpdate(AuthorizationCode, { loginSessionId: signInId, usedAt: null }, { usedAt: now });
    const codes = await em.find(
      AuthorizationCode,
      { loginSessionId: signInId, sessionId: { $ne: null } },
      { fields: ['sessionId'] },
    );
    for (const code of codes) if (code.sessionId) sessionIds.add(code.sessionId);
    if (sessionIds.size === 0) return 0;
    return em.nativeUpdate(
      Session,
      { id: { $in: [...sessionIds] }, revokedAt: null },
      { revokedAt: now, revokedReason: 'logout' },
    );
  });
}

export function clearSignInCookie(secure: boolean): string {
  return cookieHeader(COOKIE_NAMES.login, '', 0, secure);
}
