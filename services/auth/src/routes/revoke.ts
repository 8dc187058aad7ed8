import { createLocalJWKSet, jwtVerify } from 'jose';
import { RefreshToken, Session } from '@tandem/models';
import { ACCESS_TOKEN_ALG, hashRefreshToken, parseSubject, revokeSession } from '@tandem/tokens';
import type { AuthDeps } from '../deps.js';
import { authenticateClient, readClientCredentials, type AuthenticatedClient } from '../client-auth.js';
import { NO_STORE, OAuthError, sendOAuthError } from '../oauth-error.js';
import { readParams, requireParam } from '../params.js';
import type { OAuthRoute } from './token.js';

interface FoundSession {
  readonly sid: string;
  /** The client the session belongs to or was issued to (code flow), when there is one. */
  readonly clientId: string | number | undefined;
}

/** An access token this server issued (signature by a published key, our iss/aud); exp is not required. */
async function sessionOfAccessToken(deps: AuthDeps, token: string): Promise<FoundSession | undefined> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [...deps.keys.jwks().keys] }), {
      issuer: deps.issuer,
      audience: deps.config.tokens.audience,
      algorithms: [ACCESS_TOKEN_ALG],
    });
    if (typeof payload.sid !== 'string') return undefined;
    const subject = typeof payload.sub === 'string' ? parseSubject(payload.sub) : undefined;
    if (subject?.kind === 'client') return { sid: payload.sid, clientId: subject.clientId };
    // A user's token names no client: the session says which one it was issued to (code flow), if any.
    const session = await deps.orm.em
      .fork()
      .findOne(Session, { id: payload.sid }, { fields: ['authorizedClient'] });
    return { sid: payload.sid, clientId: session?.authorizedClient?.id };
  } catch {
    return undefined;
  }
}

async function sessionOfRefreshToken(deps: AuthDeps, token: string): Promise<FoundSession | undefined> {
  if (token.length > 512) return undefined;
  const row = await deps.orm.em
    .fork()
    .findOne(RefreshToken, { tokenHash: hashRefreshToken(token) }, { populate: ['session'] });
  if (!row) return undefined;
  const session = row.session;
  // A code-flow session's refresh token was issued to its client: another client may not revoke it.
  return { sid: session.id, clientId: session.client?.id ?? session.authorizedClient?.id };
}

function belongsToOtherClient(found: FoundSession, client: AuthenticatedClient | undefined): boolean {
  if (!client || found.clientId === undefined) return false;
  return found.clientId !== client.clientId && found.clientId !== client.id;
}

/**
 * POST /oauth/revoke (RFC 7009). A refresh token revokes its session (the whole family); an access token
 * revokes the session in its `sid`. Unknown or already invalid tokens still get 200 (§2.2), so the
 * endpoint reveals nothing. A client that authenticates may only revoke its own tokens.
 */
export function revokeRoute(deps: AuthDeps): OAuthRoute {
  return async (req, res) => {
    try {
      const params = readParams(req);
      const token = requireParam(params, 'token');
      const credentials = readClientCredentials(req, params);
      const client = credentials ? await authenticateClient(deps, credentials) : undefined;
      const looksLikeJwt = token.split('.').length === 3;
      const accessFirst =
        params.get('token_type_hint') === 'access_token' ||
        (params.get('token_type_hint') === undefined && looksLikeJwt);
      const lookups = accessFirst
        ? [() => sessionOfAccessToken(deps, token), () => sessionOfRefreshToken(deps, token)]
        : [() => sessionOfRefreshToken(deps, token), () => sessionOfAccessToken(deps, token)];
      let found: FoundSession | undefined;
      for (const lookup of lookups) {
        found = await lookup();
        if (found) break;
      }
      if (found) {
        if (belongsToOtherClient(found, client))
          throw new OAuthError(
            'unauthorized_client',
            'This token was not issued to the authenticated client.',
          );
        if (await revokeSession(deps.orm.em.fork(), found.sid, 'revoked')) {
          deps.metrics.revocations.inc({ reason: 'revoked' });
          deps.logger.info({ sid: found.sid }, 'session revoked');
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
