import {
  clientMayHaveScope,
  formatScope,
  grantScope,
  hashRefreshToken,
  heldScopes,
  liveWindow,
  looksLikeRefreshToken,
  newRefreshToken,
  userSubject,
  type RevocationReason,
} from '@tandem/tokens';
import type { AuthenticatedClient } from '../client-auth.js';
import { OAuthError } from '../oauth-error.js';
import { requireParam, type Params } from '../params.js';
import type { RefreshTokenSession } from '../store.js';
import type { Grant } from './types.js';

const INVALID = 'The refresh token is invalid, expired or revoked.';
const REFRESH_NOT_ALLOWED =
  'This client is not allowed the refresh_token grant type; send the user through authorization again.';

/**
 * Who presents the token, as far as its session's binding is concerned: clients.id of the client the
 * session was issued to when the request proves to be that client (a confidential one authenticated
 * with its secret, a public one named by client_id: RFC 6749 §6, RFC 9700 §4.14), null when it is
 * not. `mismatch` when the session is bound to a client and the request is another client or none.
 * A session issued to no client (password grant) keeps its old behaviour: any request may refresh it.
 */
function presenter(
  session: RefreshTokenSession,
  client: AuthenticatedClient | undefined,
  params: Params,
): { pk: number | null; mismatch: boolean } {
  const bound = session.issuedTo;
  // A code-flow session stored before sessions recorded their client: bound to a client now unknown.
  if (bound === undefined)
    return { pk: client?.id ?? null, mismatch: session.grantType === 'authorization_code' };
  const named = params.get('client_id');
  const proven = client !== undefined ? client.id === bound.pk : bound.isPublic && named === bound.clientId;
  return proven ? { pk: bound.pk, mismatch: false } : { pk: null, mismatch: true };
}

/**
 * The session's scopes that may still be granted, in its order: those the user's roles allow now
 * and, for a session issued to a client, those the client may have now (the authorization request's
 * rule), identity scopes always. Staff narrowing a role or a client narrows every later refresh.
 */
function grantableNow(session: RefreshTokenSession): string[] {
  const client = session.issuedTo;
  return heldScopes(session.scope, session.roleScopes).filter(
    (scope) => client === undefined || clientMayHaveScope(client.scopes, scope),
  );
}

/** What the grant does with a token's session, decided on the read (see refreshGrant). */
type Verdict =
  | { readonly act: 'refuse' }
  | { readonly act: 'revoke'; readonly reason: RevocationReason }
  | {
      readonly act: 'rotate';
      readonly presenterPk: number | null;
      readonly userId: number;
      readonly scopes: string[];
    };

/** The grant's checks on the read, in order; none touches the database. */
function judge(
  session: RefreshTokenSession,
  client: AuthenticatedClient | undefined,
  params: Params,
  requestedScope: string | undefined,
): Verdict {
  const by = presenter(session, client, params);
  if (by.mismatch) {
    // A code-flow session of before the binding has no client to compare: refused, not revoked.
    if (session.issuedTo === undefined) return { act: 'refuse' };
    return { act: 'revoke', reason: 'refresh_token_wrong_client' };
  }
  // Its client was deactivated (which revokes these sessions too): refused like an ended session.
  if (session.issuedTo?.isActive === false) return { act: 'refuse' };
  if (session.used) return { act: 'revoke', reason: 'refresh_token_reuse' };
  if (!session.live || session.userId === null) return { act: 'refuse' };
  if (!session.userActive) return { act: 'revoke', reason: 'user_inactive' };
  // After the checks above, so a replayed or dead token is still answered (and revoked) as such. The
  // grant type was taken from the client, not the session: refused, nothing spent or revoked, so the
  // session refreshes again if staff give the grant back.
  if (session.issuedTo?.grantTypes.includes('refresh_token') === false)
    throw new OAuthError('unauthorized_client', REFRESH_NOT_ALLOWED);
  const decision = grantScope(requestedScope, grantableNow(session));
  if (!decision.ok)
    throw new OAuthError(
      'invalid_scope',
      'The requested scope exceeds what was granted or what your roles or this client allow now.',
    );
  return { act: 'rotate', presenterPk: by.pk, userId: session.userId, scopes: decision.scopes };
}

/**
 * RFC 6749 §6 refresh. Refresh tokens are single use: the token's session is read, then the token is
 * spent by a conditional UPDATE (`... where token_hash = ? and used_at is null` and the session
 * still live) in the same atomic step that stores the next token, so of two concurrent uses exactly
 * one wins (the loser's UPDATE waits for the winner's row lock, then matches nothing).
 * Presenting a token that was already used means it leaked (or a client misbehaves): the whole session
 * (family) is revoked, which ends the newest refresh token too and, via the change feed, the session's
 * access tokens; so does losing the race for a token. A refused scope spends nothing.
 * Scopes are re-checked against the user's roles and the client's scopes on every refresh: a role
 * or a client losing a scope takes effect. A client that lost the refresh_token grant type is refused
 * (`unauthorized_client`), spending and revoking nothing; the rotation repeats that check, and a
 * removal between the read and a step-by-step rotation makes the rotation lose, as for a race.
 * A token of a session issued to a client (code flow) works only for that client, which is checked
 * on the read and again in the rotation's one statement. Presented by another client or by none, it
 * is refused and its session revoked ('refresh_token_wrong_client'): only its client ever held it, so
 * it leaked; ending the family also ends any access token a thief already got (RFC 9700 §4.14.2
 * answers a detected leak the same way), and it gives a thief no power they lacked, since whoever
 * holds a refresh token may revoke it at /oauth/revoke anyway.
 * On PostgreSQL a request without a scope parameter (the usual one) is one round trip: the read and
 * the rotation are one statement whose claim repeats every check of `judge` in SQL, and the read
 * (from before the claim) is judged afterwards to answer a claim that did not happen. With a scope
 * parameter, and on SQLite, it is a read, the checks, then the rotation (SQL cannot check the
 * requested scope against the role scopes, and a refused scope must spend nothing). All on one
 * borrowed connection.
 */
export const refreshGrant: Grant = async ({ deps, params, client }) => {
  const presented = requireParam(params, 'refresh_token');
  const requestedScope = params.get('scope');
  if (!looksLikeRefreshToken(presented)) throw new OAuthError('invalid_grant', INVALID);
  const tokenHash = hashRefreshToken(presented);
  const window = liveWindow(deps.config.tokens.sessionIdleTtlSeconds);
  const { now } = window;
  const refreshToken = newRefreshToken();
  const nextTokenHash = hashRefreshToken(refreshToken);

  // The read, the rotation and any revocation on one borrowed connection; signing comes after its release.
  const outcome = await deps.store.withConnection(async (held) => {
    const refuse = async (sid: string, verdict: Exclude<Verdict, { act: 'rotate' }>): Promise<never> => {
      if (verdict.act === 'revoke') {
        const revoked = await held.queries.revokeSession(sid, verdict.reason, now);
        if (revoked > 0) {
          deps.metrics.revocations.inc({ reason: verdict.reason });
          deps.logger.warn({ sid, reason: verdict.reason }, 'session revoked during refresh');
        }
      }
      throw new OAuthError('invalid_grant', INVALID);
    };
    // Lost to a concurrent use of the same token (or the session ended in between): as for a replay.
    const lostRace: Verdict = { act: 'revoke', reason: 'refresh_token_reuse' };

    let session: RefreshTokenSession | undefined;
    let verdict: Verdict;
    if (held.readAndRotate !== undefined && requestedScope === undefined) {
      const read = await held.readAndRotate({
        tokenHash,
        nextTokenHash,
        authenticatedClientPk: client?.id ?? null,
        namedClientId: params.get('client_id') ?? null,
        ...window,
      });
      if (!read) throw new OAuthError('invalid_grant', INVALID);
      session = read.session;
      verdict = judge(session, client, params, requestedScope);
      // A claim whose read fails a check cannot happen (the claim repeats them); its next token is
      // never handed out, so the refusal stands either way.
      if (verdict.act !== 'rotate') return refuse(session.sessionId, verdict);
      if (!read.claimed) return refuse(session.sessionId, lostRace);
    } else {
      session = await held.queries.refreshTokenSession(tokenHash, window);
      if (!session) throw new OAuthError('invalid_grant', INVALID);
      verdict = judge(session, client, params, requestedScope);
      if (verdict.act !== 'rotate') return refuse(session.sessionId, verdict);
      const won = await held.rotateRefreshToken({
        sessionId: session.sessionId,
        tokenHash,
        nextTokenHash,
        presenterPk: verdict.presenterPk,
        ...window,
      });
      if (won !== 1) return refuse(session.sessionId, lostRace);
    }
    return { sid: session.sessionId, userId: verdict.userId, scopes: verdict.scopes };
  });
  const scope = formatScope(outcome.scopes);
  const { token } = await deps.signer.sign(
    { sub: userSubject(outcome.userId), scope, sid: outcome.sid },
    now.getTime(),
  );
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_in: deps.signer.ttlSeconds,
    scope,
    refresh_token: refreshToken,
  };
};
