import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
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

/** Issues access tokens: EdDSA, `kid` and `typ: at+jwt` in the header, the claim set of claims.ts. */
export class AccessTokenSigner {
  constructor(
    private readonly settings: Pick<TokenConfig, 'issuer' | 'audience' | 'accessTokenTtlSeconds'>,
    private readonly keys: { signingKey(): ActiveSigningKey },
  ) {}

  get ttlSeconds(): number {
    return this.settings.accessTokenTtlSeconds;
  }

  async sign(request: AccessTokenRequest, now: number = Date.now()): Promise<SignedAccessToken> {
    const { kid, key } = this.keys.signingKey();
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
    const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_TYP, kid }).sign(key);
    return { token, claims };
  }
}
