import { Client, Role } from '@tandem/models';
import { ACCESS_TOKEN_ALG } from '@tandem/tokens';
import type { AuthDeps } from '../deps.js';
import { sendJson } from '../send-json.js';
import type { GetRoute } from './get-route.js';
import { GRANTS } from './token.js';

export const TOKEN_PATH = '/oauth/token';
export const REVOKE_PATH = '/oauth/revoke';
export const JWKS_PATH = '/.well-known/jwks.json';
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/** Every scope some role or client can be granted. */
async function knownScopes(deps: AuthDeps): Promise<string[]> {
  const em = deps.orm.em.fork();
  const [roles, clients] = await Promise.all([
    em.find(Role, {}, { fields: ['scopes'] }),
    em.find(Client, { isActive: true }, { fields: ['scopes'] }),
  ]);
  return [...new Set([...roles, ...clients].flatMap((owner) => owner.scopes))].sort();
}

/**
 * GET /.well-known/openid-configuration: OpenID Connect discovery / RFC 8414 metadata, so generic
 * OAuth libraries find the endpoints and keys. Tandem issues access tokens only (no authorization
 * endpoint, no ID tokens), which the metadata states.
 */
export function discoveryRoute(deps: AuthDeps): GetRoute {
  return async (_req, res) => {
    const issuer = deps.issuer;
    const authMethods = ['client_secret_basic', 'client_secret_post', 'none'];
    sendJson(
      res,
      200,
      { 'Cache-Control': 'public, max-age=300' },
      {
        issuer,
        token_endpoint: `${issuer}${TOKEN_PATH}`,
        revocation_endpoint: `${issuer}${REVOKE_PATH}`,
        jwks_uri: `${issuer}${JWKS_PATH}`,
        grant_types_supported: [...GRANTS.keys()],
        response_types_supported: [],
        scopes_supported: await knownScopes(deps),
        token_endpoint_auth_methods_supported: authMethods,
        revocation_endpoint_auth_methods_supported: authMethods,
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [ACCESS_TOKEN_ALG],
        access_token_signing_alg_values_supported: [ACCESS_TOKEN_ALG],
        claims_supported: ['iss', 'aud', 'sub', 'scope', 'iat', 'nbf', 'exp', 'jti', 'sid'],
      },
    );
  };
}
