import { createHash, randomBytes } from 'node:crypto';
import { raw } from '@mikro-orm/core';
import { Consent, User } from '@tandem/models';
import { formatScope, parseScope, roleScopes, userMayHold } from '@tandem/tokens';
import type { AuthDeps } from '../deps.js';
import type { SignedIn } from './login-sessions.js';
import type { AuthorizationRequest } from './request.js';

/** Authorization codes live this long (RFC 6749 §4.1.2 recommends at most 10 minutes). */
export const CODE_TTL_SECONDS = 60;

export function hashCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

/**
 * The scopes this user can grant this client now: the requested ones their roles allow (identity
 * scopes always). Narrowed silently (RFC 6749 §3.3); the token response says what was granted.
 */
export async function grantableScopes(
  deps: AuthDeps,
  userId: number,
  request: AuthorizationRequest,
): Promise<{ scopes: string[]; email: string }> {
  const user = await deps.orm.em.fork().findOneOrFail(User, { id: userId }, { populate: ['roles'] });
  const allowed = roleScopes(user);
  return {
    scopes: request.scopes.filter((scope) => userMayHold(allowed, scope)),
    email: user.email,
  };
}

/** Whether the user already allowed this client every one of `scopes` (first-party: always). */
export async function hasConsent(
  deps: AuthDeps,
  userId: number,
  request: AuthorizationRequest,
  scopes: readonly string[],
): Promise<boolean> {
  if (request.client.isFirstParty) return true;
  const consent = await deps.orm.em.fork().findOne(Consent, { user: userId, client: request.client.pk });
  if (!consent) return false;
  const given = new Set(parseScope(consent.scope) ?? []);
  return scopes.every((scope) => given.has(scope));
}

/**
 * Remembers the user's consent, adding `scopes` to what they allowed before, in one statement
 * (INSERT ... ON CONFLICT DO UPDATE, both dialects): two tabs allowing at once can neither collide
 * on the (user, client) unique key nor lose each other's scopes to a read-then-write. The merge runs
 * in the database: each new scope is appended unless the stored list already has it.
 */
export async function rememberConsent(
  deps: AuthDeps,
  userId: number,
  clientPk: number,
  scopes: readonly string[],
): Promise<void> {
  const added = [...new Set(scopes)];
  // ' ' || scope || ' ' contains ' s ' exactly when s is one of the stored (space-separated) scopes.
  // Qualified: PostgreSQL finds a bare column ambiguous beside the proposed row (`excluded`).
  const stored = 'oauth_consents.scope';
  const padded = `(' ' || ${stored} || ' ')`;
  const appends = added.map(
    () => `case when replace(${padded}, ?, '') = ${padded} then ' ' || ? else '' end`,
  );
  const merged = raw(
    `trim(${[stored, ...appends].join(' || ')})`,
    added.flatMap((s) => [` ${s} `, s]),
  );
  const now = new Date();
  await deps.orm.em
    .fork()
    .createQueryBuilder(Consent)
    .insert({ user: userId, client: clientPk, scope: formatScope(added), updatedAt: now })
    .onConflict(['user', 'client'])
    .merge({ scope: merged, updatedAt: now })
    .execute();
}

/**
 * Issues a single-use code for the request; only its hash is stored. Undefined when the sign-in
 * ended since it was read (a logout or an account change in between): no code outlives the sign-in
 * it came from (see AuthQueries.insertCodeOfLiveSignIn).
 */
export async function issueCode(
  deps: AuthDeps,
  signedIn: SignedIn,
  request: AuthorizationRequest,
  scopes: readonly string[],
): Promise<string | undefined> {
  const code = randomBytes(32).toString('base64url');
  const now = new Date();
  const stored = await deps.store.queries.insertCodeOfLiveSignIn({
    codeHash: hashCode(code),
    clientPk: request.client.pk,
    userId: signedIn.userId,
    // RFC 6749 §4.1.3: the exchange must repeat redirect_uri only if the request had one.
    redirectUri: request.redirectUriParam ?? '',
    scope: formatScope(scopes),
    codeChallenge: request.codeChallenge,
    nonce: request.nonce ?? null,
    authTime: signedIn.authTime,
    amr: signedIn.amr.join(' '),
    acr: signedIn.acr ?? null,
    loginSessionId: signedIn.id,
    now,
    expiresAt: new Date(now.getTime() + CODE_TTL_SECONDS * 1000),
  });
  return stored === 1 ? code : undefined;
}
