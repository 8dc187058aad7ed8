import { createHash, timingSafeEqual } from 'node:crypto';
import {
  hashRefreshToken,
  isIdentityScope,
  leftHalfHash,
  newRefreshToken,
  newSession,
  parseScope,
  scopeIncludes,
  userSubject,
} from '@tandem/tokens';
import type { AuthenticatedClient } from '../client-auth.js';
import { hashCode } from '../authorize/grant.js';
import { OAuthError } from '../oauth-error.js';
import { requireParam, type Params } from '../params.js';
import type { CodeForExchange } from '../store.js';
import type { Grant, GrantRequest, TokenResponse } from './types.js';

const INVALID = 'The authorization code is invalid, expired or already used.';
const CODE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)) equals the challenge (constant-time). */
function pkceMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/**
 * The client of the request: a confidential client must have authenticated (its secret), a public
 * one names itself with client_id and proves nothing but PKCE. invalid_client when neither fits.
 */
function checkClient(code: CodeForExchange, client: AuthenticatedClient | undefined, params: Params): void {
  if (client !== undefined) {
    if (client.id !== code.clientPk) throw new OAuthError('invalid_grant', INVALID);
    return;
  }
  const named = params.get('client_id');
  if (named === undefined || !code.clientIsPublic || named !== code.clientId)
    throw new OAuthError('invalid_client', 'Client authentication failed.');
}

/**
 * RFC 6749 §4.1.3: redirect_uri is required at the exchange if the authorization request had one,
 * and must be identical. A code whose request left it out (stored as '': the client's only
 * registered URI was used) may be exchanged without it; one sent anyway must be that URI. Why the
 * exchange is refused, or undefined.
 */
function redirectUriProblem(code: CodeForExchange, given: string | undefined): string | undefined {
  const differs = 'redirect_uri differs from the authorization request.';
  if (code.redirectUri === '') {
    if (given === undefined) return undefined;
    const [only, ...others] = code.clientRedirectUris;
    return others.length === 0 && given === only ? undefined : differs;
  }
  if (given === undefined) return 'redirect_uri is required: the authorization request had one.';
  return given === code.redirectUri ? undefined : differs;
}

/** The ID token for a code whose scope has openid (OpenID Connect Core §3.1.3.3). */
function idToken(
  request: GrantRequest,
  code: CodeForExchange,
  sid: string,
  accessToken: string,
  iat: number,
): string {
  const { deps } = request;
  return deps.idTokens.sign({
    iss: deps.issuer,
    sub: userSubject(code.userId),
    aud: code.clientId,
    azp: code.clientId,
    iat,
    exp: iat + deps.signer.ttlSeconds,
    auth_time: Math.floor(code.authTime.getTime() / 1000),
    ...(code.nonce === null ? {} : { nonce: code.nonce }),
    amr: code.amr.split(' '),
    ...(code.acr === null ? {} : { acr: code.acr }),
    at_hash: leftHalfHash(accessToken),
    sid,
    ...(scopeIncludes(code.scope, 'email') ? { email: code.email, email_verified: false } : {}),
  });
}

/**
 * RFC 6749 §4.1.3 with RFC 7636 (PKCE S256, always): the code, the exact redirect_uri of the
 * authorization request (required when it had one), the code_verifier, and the client (authenticated, or client_id for a public
 * one). Codes are single use: the exchange claims the code with a conditional UPDATE in the same
 * atomic step that starts the session (one statement on PostgreSQL), so of two concurrent
 * exchanges exactly one wins. A code presented again (or losing that race) revokes the session its
 * first exchange started (RFC 6749 §4.1.2). A wrong verifier or redirect_uri spends the code. The
 * scopes are narrowed to what the user's roles grant at the exchange.
 * Two round trips on PostgreSQL (a read and one write), on one connection borrowed for both.
 */
export const authorizationCodeGrant: Grant = async (request) => {
  const { deps, params, client } = request;
  const presented = requireParam(params, 'code');
  const verifier = requireParam(params, 'code_verifier');
  if (!VERIFIER.test(verifier))
    throw new OAuthError(
      'invalid_request',
      'code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.',
    );
  if (!CODE.test(presented)) throw new OAuthError('invalid_grant', INVALID);
  const codeHash = hashCode(presented);
  const now = new Date();
  // The read, the claim and any revocation on one borrowed connection; signing comes after its release.
  const { code, session, refreshToken, scopes } = await deps.store.withConnection(async (held) => {
    const queries = held.queries;
    const code = await queries.codeForExchange(codeHash, now);
    if (!code) throw new OAuthError('invalid_grant', INVALID);
    checkClient(code, client, params);
    const refuseReuse = async (): Promise<never> => {
      if ((await queries.revokeSessionOfCode(codeHash, 'code_reuse', now)) > 0) {
        deps.metrics.revocations.inc({ reason: 'code_reuse' });
        deps.logger.warn({ client_id: code.clientId }, 'authorization code reused: its session revoked');
      }
      throw new OAuthError('invalid_grant', INVALID);
    };
    if (code.used) return refuseReuse();
    if (!code.live || !code.clientActive || !code.userActive) throw new OAuthError('invalid_grant', INVALID);
    const problem =
      redirectUriProblem(code, params.get('redirect_uri')) ??
      (pkceMatches(verifier, code.codeChallenge)
        ? undefined
        : 'The code_verifier does not match the code_challenge.');
    if (problem !== undefined) {
      await queries.spendCode(codeHash, now);
      throw new OAuthError('invalid_grant', problem);
    }

    // What the user's roles allow now: a role that lost a scope since the code was issued takes effect
    // (as at a refresh), identity scopes always stay.
    const scopes = (parseScope(code.scope) ?? []).filter(
      (scope) => code.roleScopes.has(scope) || isIdentityScope(scope),
    );
    const session = newSession(
      // Its refresh tokens are bound to this client (refresh.ts refuses them to any other).
      { userId: code.userId, via: 'authorization_code', issuedTo: code.clientPk },
      scopes,
      deps.config.tokens,
      now,
    );
    const refreshToken = code.clientGrantTypes.includes('refresh_token') ? newRefreshToken() : undefined;
    const won = await held.redeemCode({
      codeHash,
      session,
      refreshTokenHash: refreshToken === undefined ? null : hashRefreshToken(refreshToken),
    });
    if (won !== 1) return refuseReuse();
    return { code, session, refreshToken, scopes };
  });

  const { token, claims } = await deps.signer.sign(
    { sub: userSubject(code.userId), scope: session.scope, sid: session.id },
    now.getTime(),
  );
  const response: TokenResponse = {
    access_token: token,
    token_type: 'Bearer',
    expires_in: deps.signer.ttlSeconds,
    scope: session.scope,
  };
  if (refreshToken !== undefined) response.refresh_token = refreshToken;
  if (scopes.includes('openid')) response.id_token = idToken(request, code, session.id, token, claims.iat);
  return response;
};
