import { createHash, timingSafeEqual } from 'node:crypto';
import {
  hashRefreshToken,
  leftHalfHash,
  newRefreshToken,
  newSession,
  parseScope,
  scopeIncludes,
  sessionStart,
  userSubject,
} from '@tandem/tokens';
import type { AuthenticatedClient } from '../client-auth.js';
import { hashCode } from '../authorize/grant.js';
import { OAuthError } from '../oauth-error.js';
import { requireParam, type Params } from '../params.js';
import type { CodeRedemptions } from '../code-redemptions.js';
import type { AuthQueries, CodeForExchange } from '../store.js';
import type { Grant, GrantRequest, TokenResponse } from './types.js';

const INVALID = 'The authorization code is invalid, expired or already used.';
const CODE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** RFC 7636 §4.6: the S256 challenge of a verifier, BASE64URL(SHA256(verifier)). */
function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The verifier's challenge equals the code's (constant-time). */
function pkceMatches(computed: string, challenge: string): boolean {
  const given = Buffer.from(computed);
  const expected = Buffer.from(challenge);
  return given.length === expected.length && timingSafeEqual(given, expected);
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

/** The code's client may use refresh tokens: the exchange stores and answers one. */
function mayRefresh(code: CodeForExchange): boolean {
  return code.clientGrantTypes.includes('refresh_token');
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

/** What the exchange does with a code, decided on its read (see judge). */
type Verdict =
  | { readonly act: 'redeem' }
  /** Presented again (or the race for it lost): revoke the session its first exchange started. */
  | { readonly act: 'reuse' }
  /** A wrong redirect_uri or verifier: the code is spent, and the problem told. */
  | { readonly act: 'spend'; readonly problem: string };

/**
 * The exchange's checks on the read, in order; none touches the database. A request that is not the
 * code's client, and a code expired or whose client or user is no longer active, are refused here
 * (thrown) and spend nothing. The one statement on PostgreSQL repeats every check (CODE_CLAIMABLE).
 */
function judge(code: CodeForExchange, request: GrantRequest, challenge: string): Verdict {
  checkClient(code, request.client, request.params);
  if (code.used) return { act: 'reuse' };
  if (!code.live || !code.clientActive || !code.userActive) throw new OAuthError('invalid_grant', INVALID);
  const problem =
    redirectUriProblem(code, request.params.get('redirect_uri')) ??
    (pkceMatches(challenge, code.codeChallenge)
      ? undefined
      : 'The code_verifier does not match the code_challenge.');
  return problem === undefined ? { act: 'redeem' } : { act: 'spend', problem };
}

/** What the request presents, worked out before the database is asked. */
interface Presented {
  /** SHA-256 of the code, as stored. */
  readonly codeHash: string;
  /** BASE64URL(SHA256(code_verifier)). */
  readonly challenge: string;
  /** The first refresh token's hash, stored only if the code's client may refresh. */
  readonly refreshTokenHash: string;
  readonly now: Date;
}

/** What the exchange does with a refused code: spend it, or revoke what its first exchange started. */
async function refuse(
  request: GrantRequest,
  queries: AuthQueries,
  { codeHash, now }: Presented,
  code: CodeForExchange,
  verdict: Exclude<Verdict, { act: 'redeem' }>,
): Promise<never> {
  const { deps } = request;
  if (verdict.act === 'spend') {
    await queries.spendCode(codeHash, now);
    throw new OAuthError('invalid_grant', verdict.problem);
  }
  if ((await queries.revokeSessionOfCode(codeHash, 'code_reuse', now)) > 0) {
    deps.metrics.revocations.inc({ reason: 'code_reuse' });
    deps.logger.warn({ client_id: code.clientId }, 'authorization code reused: its session revoked');
  }
  throw new OAuthError('invalid_grant', INVALID);
}

/** The code's read and claim, and the session the claim started. */
interface Redeemed {
  readonly code: CodeForExchange;
  readonly sid: string;
}

/**
 * PostgreSQL: the read and the claim are one statement whose claim repeats every check of `judge` in
 * SQL, shared with the other exchanges of the event-loop turn (CodeRedemptions); the read (from
 * before the claim) is judged afterwards to answer a claim that did not happen (a refusal, a spent
 * code or a replay costs a second statement).
 */
async function redeemInOneStatement(
  request: GrantRequest,
  redemptions: CodeRedemptions,
  presented: Presented,
): Promise<Redeemed> {
  const { deps, params, client } = request;
  const session = sessionStart(deps.config.tokens, presented.now);
  const read = await redemptions.redeem({
    codeHash: presented.codeHash,
    challenge: presented.challenge,
    redirectUri: params.get('redirect_uri') ?? null,
    authenticatedClientPk: client?.id ?? null,
    namedClientId: params.get('client_id') ?? null,
    session,
    refreshTokenHash: presented.refreshTokenHash,
  });
  if (!read) throw new OAuthError('invalid_grant', INVALID);
  const verdict = judge(read.code, request, presented.challenge);
  // A claim whose read fails a check cannot happen (the claim repeats them); its tokens are never
  // handed out, so the refusal stands either way.
  if (verdict.act !== 'redeem') return refuse(request, deps.store.queries, presented, read.code, verdict);
  if (!read.claimed) return refuse(request, deps.store.queries, presented, read.code, { act: 'reuse' });
  return { code: read.code, sid: session.id };
}

/**
 * SQLite: a read, the checks, then the claim in a transaction, all on one borrowed connection (its
 * statements cost no round trip).
 */
function redeemStepByStep(request: GrantRequest, presented: Presented): Promise<Redeemed> {
  const { deps } = request;
  const { codeHash, now } = presented;
  return deps.store.withConnection(async (held) => {
    const code = await held.queries.codeForExchange(codeHash, now);
    if (!code) throw new OAuthError('invalid_grant', INVALID);
    const verdict = judge(code, request, presented.challenge);
    if (verdict.act !== 'redeem') return refuse(request, held.queries, presented, code, verdict);
    const session = newSession(
      // Its refresh tokens are bound to this client (refresh.ts refuses them to any other).
      { userId: code.userId, via: 'authorization_code', issuedTo: code.clientPk },
      parseScope(code.grantedScope) ?? [],
      deps.config.tokens,
      now,
    );
    const won = await held.redeemCode({
      codeHash,
      session,
      refreshTokenHash: mayRefresh(code) ? presented.refreshTokenHash : null,
    });
    if (won !== 1) return refuse(request, held.queries, presented, code, { act: 'reuse' });
    return { code, sid: session.id };
  });
}

/**
 * RFC 6749 §4.1.3 with RFC 7636 (PKCE S256, always): the code, the exact redirect_uri of the
 * authorization request (required when it had one), the code_verifier, and the client (authenticated, or client_id for a public
 * one). Codes are single use: the exchange claims the code with a conditional UPDATE in the same
 * atomic step that starts the session, so of two concurrent exchanges exactly one wins. A code
 * presented again (or losing that race) revokes the session its first exchange started (RFC 6749
 * §4.1.2). A wrong verifier or redirect_uri spends the code. The scopes are narrowed to what the
 * user's roles grant at the exchange. Signing comes after the database's part is done.
 */
export const authorizationCodeGrant: Grant = async (request) => {
  const { deps, params } = request;
  const presented = requireParam(params, 'code');
  const verifier = requireParam(params, 'code_verifier');
  if (!VERIFIER.test(verifier))
    throw new OAuthError(
      'invalid_request',
      'code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.',
    );
  if (!CODE.test(presented)) throw new OAuthError('invalid_grant', INVALID);
  const now = new Date();
  // Made before the read: on PostgreSQL the claim stores it in the same statement (only if the
  // code's client may refresh; otherwise it is never seen).
  const refreshToken = newRefreshToken();
  const attempt: Presented = {
    codeHash: hashCode(presented),
    challenge: s256(verifier),
    refreshTokenHash: hashRefreshToken(refreshToken),
    now,
  };
  const { code, sid } =
    deps.codeRedemptions !== undefined
      ? await redeemInOneStatement(request, deps.codeRedemptions, attempt)
      : await redeemStepByStep(request, attempt);

  const scope = code.grantedScope;
  const { token, claims } = await deps.signer.sign(
    { sub: userSubject(code.userId), scope, sid },
    now.getTime(),
  );
  const response: TokenResponse = {
    access_token: token,
    token_type: 'Bearer',
    expires_in: deps.signer.ttlSeconds,
    scope,
  };
  if (mayRefresh(code)) response.refresh_token = refreshToken;
  if (scopeIncludes(scope, 'openid')) response.id_token = idToken(request, code, sid, token, claims.iat);
  return response;
};
