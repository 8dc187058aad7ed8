/**
 * The access-token contract between the auth service (signs) and every verifier (the fast service,
 * any OAuth client library). Small on purpose: ids and scopes, no personal data.
 */

/** JWS algorithm of every access token: Ed25519 signatures (RFC 8037). */
export const ACCESS_TOKEN_ALG = 'EdDSA';
/** `typ` header of access tokens (RFC 9068 "JWT Profile for OAuth 2.0 Access Tokens"). */
export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface AccessTokenClaims {
  /** Issuer: TOKEN_ISSUER, the auth service's base URL. */
  readonly iss: string;
  /** Audience: TOKEN_AUDIENCE. */
  readonly aud: string;
  /** Subject: a user id (`"42"`) or a machine client (`"client:<client_id>"`). */
  readonly sub: string;
  /** Space-separated scopes (RFC 6749 §3.3), e.g. `"catalog:read orders:read"`. */
  readonly scope: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  /** Unique token id. */
  readonly jti: string;
  /** Session id: revoking the session revokes every token that carries it. */
  readonly sid: string;
}

/**
 * OpenID Connect scopes: what the user may share about themselves, granted to every user (no role
 * grants them). Role-scope checks (refresh, role changes) leave them alone.
 */
export const IDENTITY_SCOPES: ReadonlySet<string> = new Set(['openid', 'email']);

export function isIdentityScope(scope: string): boolean {
  return IDENTITY_SCOPES.has(scope);
}

/**
 * Whether a client may be granted `scope` for a user: one of its registered scopes, or an identity
 * scope (any client may ask who the user is). The authorization request and every refresh of the
 * session it starts apply it.
 */
export function clientMayHaveScope(clientScopes: readonly string[], scope: string): boolean {
  return clientScopes.includes(scope) || isIdentityScope(scope);
}

const CLIENT_SUBJECT_PREFIX = 'client:';

export function userSubject(userId: number | string): string {
  return String(userId);
}

export function clientSubject(clientId: string): string {
  return `${CLIENT_SUBJECT_PREFIX}${clientId}`;
}

export type Subject =
  { readonly kind: 'user'; readonly userId: number } | { readonly kind: 'client'; readonly clientId: string };

/** Reads a `sub` claim back; undefined for anything this issuer would not have written. */
export function parseSubject(sub: string): Subject | undefined {
  if (sub.startsWith(CLIENT_SUBJECT_PREFIX)) {
    const clientId = sub.slice(CLIENT_SUBJECT_PREFIX.length);
    return clientId === '' ? undefined : { kind: 'client', clientId };
  }
  return /^[1-9][0-9]{0,15}$/.test(sub) ? { kind: 'user', userId: Number(sub) } : undefined;
}

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

/**
 * Parses a `scope` parameter or claim into distinct scope tokens, in order. Returns undefined when the
 * value is not a valid scope string (a client error: `invalid_scope`). An empty string is no scopes.
 */
export function parseScope(value: string): string[] | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return [];
  const tokens = trimmed.split(/ +/);
  if (!tokens.every(isScopeToken)) return undefined;
  return [...new Set(tokens)];
}

export function formatScope(scopes: Iterable<string>): string {
  return [...new Set(scopes)].join(' ');
}

/** Does a token's `scope` claim include `required`? */
export function scopeIncludes(scopeClaim: string, required: string): boolean {
  return scopeClaim.split(' ').includes(required);
}

export type ScopeDecision = { readonly ok: true; readonly scopes: string[] } | { readonly ok: false };

/**
 * The scopes to grant: everything allowed when nothing was requested, else the requested scopes if
 * every one of them is allowed (RFC 6749 §3.3 lets a server narrow silently, but refusing with
 * `invalid_scope` tells the client exactly what went wrong).
 */
export function grantScope(requested: string | undefined, allowed: Iterable<string>): ScopeDecision {
  const allowedSet = new Set(allowed);
  if (requested === undefined) return { ok: true, scopes: [...allowedSet] };
  const scopes = parseScope(requested);
  if (scopes === undefined || !scopes.every((scope) => allowedSet.has(scope))) return { ok: false };
  return { ok: true, scopes };
}
