import { createLocalJWKSet, jwtVerify } from 'jose';
import { RefreshToken } from '@tandem/models';
import { ACCESS_TOKEN_ALG, hashRefreshToken, revokeSession } from '@tandem/tokens';
import type { AuthDeps } from '../deps.js';
import { NO_STORE, OAuthError, sendOAuthError } from '../oauth-error.js';
import { readParams, requireParam } from '../params.js';
import { mayRevoke, revokeRequester, sessionClient } from './revoke-client.js';
import type { OAuthRoute } from './token.js';

/** The session (`sid`) of an access token this server issued (a published key, our iss/aud); exp is not required. */
async function sessionOfAccessToken(deps: AuthDeps, token: string): Promise<string | undefined> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [...deps.keys.jwks().keys] }), {
      issuer: deps.issuer,
      audience: deps.config.tokens.audience,
      algorithms: [ACCESS_TOKEN_ALG],
    });
    return typeof payload.sid === 'string' ? payload.sid : undefined;
  } catch {
    return undefined;
  }
}

async function sessionOfRefreshToken(deps: AuthDeps, token: string): Promise<string | undefined> {
  if (token.length > 512) return undefined;
  const row = await deps.orm.em
    .fork()
    .findOne(RefreshToken, { tokenHash: hashRefreshToken(token) }, { fields: ['session'] });
  return row?.session.id;
}

/**
 * POST /oauth/revoke (RFC 7009). A refresh token revokes its session (the whole family); an access token
 * revokes the session in its `sid`. Unknown or already invalid tokens still get 200 (§2.2), so the
 * endpoint reveals nothing. §2.1: the client is authenticated first (wrong credentials: 401 before any
 * lookup); a token issued to a client is revoked only at that client's request (revoke-client.ts).
 */
export function revokeRoute(deps: AuthDeps): OAuthRoute {
  return async (req, res) => {
    try {
      const params = readParams(req);
      const token = requireParam(params, 'token');
      const requester = await revokeRequester(deps, req, params);
      const looksLikeJwt = token.split('.').length === 3;
      const accessFirst =
        params.get('token_type_hint') === 'access_token' ||
        (params.get('token_type_hint') === undefined && looksLikeJwt);
      const lookups = accessFirst
        ? [() => sessionOfAccessToken(deps, token), () => sessionOfRefreshToken(deps, token)]
        : [() => sessionOfRefreshToken(deps, token), () => sessionOfAccessToken(deps, token)];
      let sid: string | undefined;
      for (const lookup of lookups) {
        sid = await lookup();
        if (sid !== undefined) break;
      }
      if (sid !== undefined) {
        if (!mayRevoke(await sessionClient(deps, sid), requester))
          deps.logger.info({ sid }, 'revocation ignored: the token belongs to another client');
        else if (await revokeSession(deps.orm.em.fork(), sid, 'revoked')) {
          deps.metrics.revocations.inc({ reason: 'revoked' });
          deps.logger.info({ sid }, 'session revoked');
        }
      }
      res.writeHead(200, NO_STORE).end();
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      deps.metrics.tokenFailures.inc({ endpoint: 'revoke', grant_type: 'none', error: error.code });
      sendOAuthError(res, error);
    }
  };
}
