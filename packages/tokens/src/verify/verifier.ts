import { errors as joseErrors, jwtVerify, type JWTHeaderParameters } from 'jose';
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYP } from '../claims.js';
import { hasCanonicalSegments } from './canonical-base64url.js';
import type { RemoteJwks } from './remote-jwks.js';
import { readRowClaims, type RowClaims } from './row-claims.js';
import { scopeBit, scopeMask } from './scope-bits.js';
import { TokenCache } from './token-cache.js';

/** What a verified access token grants; everything the fast path needs, nothing more. */
export interface VerifiedAccessToken {
  readonly sub: string;
  /** Session id; revoking the session revokes the token. */
  readonly sid: string;
  readonly jti: string;
  readonly scopes: ReadonlySet<string>;
  /** The scopeBit of each of `scopes` that has one; test with AccessTokenVerifier.grants. */
  readonly scopeMask: number;
  readonly expiresAtMs: number;
  /**
   * The token's row-access claims (e.g. `sub` when it names a user), read once at verification: a
   * collection with a row-access rule compares a row's owner key with one of these per request.
   */
  readonly rowClaims: RowClaims;
}

/** A token that must be refused with 401 `invalid_token`; `message` is safe to show the client. */
export class TokenVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenVerificationError';
  }
}

/**
 * The token could not be judged: the issuer's signing keys have never been fetched (auth unreachable
 * since start-up). Not a verdict on the token, so it must not be answered like one (no 401): the
 * client should retry with the same token.
 */
export class SigningKeysUnavailableError extends Error {
  constructor() {
    super("The issuer's signing keys are not loaded yet.");
    this.name = 'SigningKeysUnavailableError';
  }
}

export interface AccessTokenVerifierOptions {
  readonly jwks: RemoteJwks;
  readonly issuer: string;
  readonly audience: string;
  /** Clock skew allowed on exp/nbf/iat, at most 30 s. */
  readonly leewaySeconds: number;
  readonly cacheSize: number;
  readonly now?: () => number;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Local verification of access tokens (docs/architecture.md, decision 6): EdDSA only, with a key from the issuer's
 * JWKS (so `none`, HS256 "signed with the public key" and any other algorithm fail before a key is
 * even looked up), then iss, aud, exp, nbf with a small leeway, typ `at+jwt` and the claims Tandem
 * relies on. Verified tokens are cached until `exp`, or until their key leaves the issuer's JWKS.
 */
export class AccessTokenVerifier {
  readonly cache: TokenCache<VerifiedAccessToken>;
  private readonly now: () => number;
  private readonly leewaySeconds: number;

  constructor(private readonly options: AccessTokenVerifierOptions) {
    if (options.leewaySeconds < 0 || options.leewaySeconds > 30)
      throw new RangeError('leewaySeconds must be within 0..30');
    this.now = options.now ?? Date.now;
    this.leewaySeconds = options.leewaySeconds;
    this.cache = new TokenCache(options.cacheSize, options.leewaySeconds * 1000);
    options.jwks.onKeysRemoved((kids) => this.cache.dropSignedBy(kids));
  }

  /**
   * The bit `grants` tests for `scope` (0: none left, `grants` then asks the token's Set). Take it once
   * per resource (a collection), not per request.
   */
  static scopeBit(scope: string): number {
    return scopeBit(scope);
  }

  /** Whether `token` grants `scope`, whose bit (from scopeBit) is `bit`: a mask test on the hot path. */
  static grants(token: VerifiedAccessToken, scope: string, bit: number): boolean {
    return bit !== 0 ? (token.scopeMask & bit) !== 0 : token.scopes.has(scope);
  }

  /** Whether `token`, verified earlier, is still within its `exp` (and the leeway) now. */
  unexpired(token: VerifiedAccessToken): boolean {
    return token.expiresAtMs + this.leewaySeconds * 1000 > this.now();
  }

  /** A token verified earlier and not yet expired: the synchronous fast path. */
  cached(token: string): VerifiedAccessToken | undefined {
    return this.cache.get(token, this.now());
  }

  /**
   * The cached token of an `Authorization: Bearer <token>` header spelled exactly so, or undefined
   * (then parse the header and call `cached`/`verify`). The fast path's per-request lookup.
   */
  cachedBearer(authorization: string): VerifiedAccessToken | undefined {
    return this.cache.getByHeader(authorization, this.now());
  }

  async verify(token: string): Promise<VerifiedAccessToken> {
    const hit = this.cache.peek(token, this.now());
    if (hit) return hit;
    // Checked once per token (a cache miss), before any key lookup or signature check.
    if (token.length > 8192 || !JWT_SHAPE.test(token) || !hasCanonicalSegments(token))
      throw new TokenVerificationError('The access token is malformed.');
    let checked;
    try {
      checked = await jwtVerify(token, (header: JWTHeaderParameters) => this.keyFor(header), {
        algorithms: [ACCESS_TOKEN_ALG],
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: ACCESS_TOKEN_TYP,
        clockTolerance: this.leewaySeconds,
        currentDate: new Date(this.now()),
        requiredClaims: ['exp', 'sub', 'sid', 'jti'],
      });
    } catch (error) {
      if (error instanceof SigningKeysUnavailableError) throw error;
      throw new TokenVerificationError(describe(error));
    }
    const { payload, protectedHeader } = checked;
    const { sub, sid, jti, scope, exp } = payload as Record<string, unknown>;
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      typeof jti !== 'string' ||
      typeof exp !== 'number'
    ) {
      throw new TokenVerificationError('The access token lacks required claims.');
    }
    if (scope !== undefined && typeof scope !== 'string')
      throw new TokenVerificationError('The scope claim must be a string.');
    const scopes = new Set((scope ?? '').split(' ').filter((s) => s !== ''));
    const verified: VerifiedAccessToken = {
      sub,
      sid,
      jti,
      scopes,
      scopeMask: scopeMask(scopes),
      expiresAtMs: exp * 1000,
      rowClaims: readRowClaims(payload as Record<string, unknown>),
    };
    // keyFor made sure the header has a kid. A fetch that removed its key while the signature was being
    // checked has already dropped that key's cache entries: this token must not become one after it.
    const kid = protectedHeader.kid!;
    if (!this.options.jwks.holds(kid))
      throw new TokenVerificationError('The token is signed with an unknown key.');
    this.cache.set(token, verified, kid);
    return verified;
  }

  private async keyFor(header: JWTHeaderParameters) {
    if (header.alg !== ACCESS_TOKEN_ALG)
      throw new TokenVerificationError('The token is not signed with EdDSA.');
    if (typeof header.kid !== 'string' || header.kid === '')
      throw new TokenVerificationError('The token header has no kid.');
    const key = await this.options.jwks.getKey(header.kid);
    if (key) return key;
    // Only here, on a cache miss whose kid is unknown even after the refetch getKey may have done.
    if (!this.options.jwks.loaded) throw new SigningKeysUnavailableError();
    throw new TokenVerificationError('The token is signed with an unknown key.');
  }
}

function describe(error: unknown): string {
  if (error instanceof TokenVerificationError) return error.message;
  if (error instanceof joseErrors.JWTExpired) return 'The access token expired.';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'The access token is not valid yet.';
    if (error.claim === 'iss') return 'The access token has the wrong issuer.';
    if (error.claim === 'aud') return 'The access token has the wrong audience.';
    if (error.claim === 'typ') return 'The token is not an access token.';
    return `The access token's ${error.claim} claim is invalid.`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'The token is not signed with EdDSA.';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'The access token signature is invalid.';
  return 'The access token is invalid.';
}
