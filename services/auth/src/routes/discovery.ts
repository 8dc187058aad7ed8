import { Client, Role } from '@tandem/models';
import { ACCESS_TOKEN_ALG, IDENTITY_SCOPES } from '@tandem/tokens';
import type { AuthDeps } from '../deps.js';
import { sendJson } from '../send-json.js';
import type { GetRoute } from './get-route.js';
import { GRANTS } from './token.js';
import { AUTHORIZE_PATH } from '../authorize/route.js';
import { LOGOUT_PATH } from '../oidc/logout.js';
import { USERINFO_PATH } from '../oidc/userinfo.js';
import { PROMPT_VALUES } from '../authorize/request.js';

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
  return [
    ...new Set([...IDENTITY_SCOPES, ...[...roles, ...clients].flatMap((owner) => owner.scopes)]),
  ].sort();
}

/** How a client authenticates at the token and revocation endpoints (`none`: a public client). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;

/**
 * GET /.well-known/openid-configuration: OpenID Connect Discovery 1.0 / RFC 8414 metadata, so generic
 * OAuth and OpenID Connect libraries find the endpoints, keys and what each supports: the
 * authorization code flow with PKCE S256 only (`response_type=code`, query response mode, `iss` in the
 * response per RFC 9207), ID tokens, userinfo, RP-initiated logout.
 */
export function discoveryRoute(deps: AuthDeps): GetRoute {
  return async (_req, res) => {
    const issuer = deps.issuer;
    const authMethods = [...CLIENT_AUTH_METHODS];
    sendJson(
      res,
      200,
      { 'Cache-Control': 'public, max-age=300' },
      {
        issuer,
        authorization_endpoint: `${issuer}${AUTHORIZE_PATH}`,
        token_endpoint: `${issuer}${TOKEN_PATH}`,
        userinfo_endpoint: `${issuer}${USERINFO_PATH}`,
        end_session_endpoint: `${issuer}${LOGOUT_PATH}`,
        revocation_endpoint: `${issuer}${REVOKE_PATH}`,
        jwks_uri: `${issuer}${JWKS_PATH}`,
        grant_types_supported: [...GRANTS.keys()],
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        code_challenge_methods_supported: ['S256'],
        prompt_values_supported: PROMPT_VALUES,
        authorization_response_iss_parameter_supported: true,
        claims_parameter_supported: false,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        scopes_supported: await knownScopes(deps),
        token_endpoint_auth_methods_supported: authMethods,
        revocation_endpoint_auth_methods_supported: authMethods,
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [ACCESS_TOKEN_ALG],
        access_token_signing_alg_values_supported: [ACCESS_TOKEN_ALG],
        claims_supported: [
          'iss',
          'aud',
          'sub',
          'scope',
          'iat',
          'nbf',
          'exp',
          'jti',
          'sid',
          'azp',
          'auth_time',
          'nonce',
          'amr',
          'acr',
          'at_hash',
          'email',
          'email_verified',
        ],
      },
    );
  };
}
