import { randomUUID, sign } from 'node:crypto';
import type { TokenConfig } from '@tandem/config';
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYP, type AccessTokenClaims } from './claims.js';
import type { ActiveSigningKey } from './key-ring.js';

export interface SignedAccessToken {
  readonly token: string;
  readonly claims: AccessTokenClaims;
}

export interface AccessTokenRequest {
  readonly sub: string;
  readonly scope: string;
  readonly sid: string;
}

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/**
 * Issues access tokens: compact JWS (RFC 7515) with EdDSA/Ed25519 (RFC 8037), `kid` and `typ: at+jwt`
 * in the header, the claim set of claims.ts. Signs with node:crypto directly on the KeyObject the key
 * ring imported once: about five times the rate of jose's SignJWT (which goes through WebCrypto and
 * re-serializes the header on every call), so signing is never what limits the token endpoint. The
 * tokens are ordinary JWTs: jose's jwtVerify, and any other JOSE library, verifies them.
 */
export class AccessTokenSigner {
  private headerFor: { kid: string; encoded: string } | undefined;

  constructor(
    private readonly settings: Pick<TokenConfig, 'issuer' | 'audience' | 'accessTokenTtlSeconds'>,
    private readonly keys: { signingKey(): ActiveSigningKey },
  ) {}

  get ttlSeconds(): number {
    return this.settings.accessTokenTtlSeconds;
  }

  async sign(request: AccessTokenRequest, now: number = Date.now()): Promise<SignedAccessToken> {
    const { kid, key } = this.keys.signingKey();
    if (this.headerFor?.kid !== kid) {
      this.headerFor = {
        kid,
        encoded: base64url(JSON.stringify({ alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_TYP, kid })),
      };
    }
    const iat = Math.floor(now / 1000);
    const claims: AccessTokenClaims = {
      iss: this.settings.issuer,
      aud: this.settings.audience,
      sub: request.sub,
      scope: request.scope,
      iat,
      nbf: iat,
      exp: iat + this.settings.accessTokenTtlSeconds,
      jti: randomUUID(),
      sid: request.sid,
    };
    const signingInput = `${this.headerFor.encoded}.${base64url(JSON.stringify(claims))}`;
    const signature = sign(null, Buffer.from(signingInput, 'utf8'), key).toString('base64url');
    return { token: `${signingInput}.${signature}`, claims };
  }
}
