import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYP } from '@tandem/tokens';
import type { AuthDeps } from '../deps.js';

/**
 * A token this server signed with a published key, for this issuer. Access tokens: our audience,
 * `typ: at+jwt`, not expired. ID tokens (logout hints): any audience, expiry not required (OpenID
 * Connect RP-Initiated Logout §2 accepts an expired hint). Undefined for anything else.
 */
export async function verifyOwnToken(
  deps: AuthDeps,
  token: string,
  kind: 'access' | 'id-hint',
): Promise<JWTPayload | undefined> {
  if (token.length > 8192) return undefined;
  try {
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createLocalJWKSet({ keys: [...deps.keys.jwks().keys] }),
      kind === 'access'
        ? {
            issuer: deps.issuer,
            audience: deps.config.tokens.audience,
            algorithms: [ACCESS_TOKEN_ALG],
            typ: ACCESS_TOKEN_TYP,
          }
        : { issuer: deps.issuer, algorithms: [ACCESS_TOKEN_ALG], currentDate: new Date(0) },
    );
    if (kind === 'id-hint' && protectedHeader.typ === ACCESS_TOKEN_TYP) return undefined;
    return payload;
  } catch {
    return undefined;
  }
}
