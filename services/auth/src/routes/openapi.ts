import { authOpenApiDocument } from '@tandem/models/openapi';
import type { AuthDeps } from '../deps.js';
import { OAUTH_ERROR_CODES } from '../oauth-error.js';
import { CLIENT_AUTH_METHODS } from './discovery.js';
import type { GetRoute } from './get-route.js';
import { GRANTS } from './token.js';

/**
 * GET /openapi.json: the auth service's OpenAPI 3.1 document, generated from the grants, error codes
 * and client authentication methods this service implements, and serialized once when the route
 * table is built.
 */
export function openApiRoute(deps: AuthDeps): GetRoute {
  const json = JSON.stringify(
    authOpenApiDocument({
      grantTypes: [...GRANTS.keys()],
      errorCodes: OAUTH_ERROR_CODES,
      clientAuthMethods: CLIENT_AUTH_METHODS,
      serverUrl: deps.issuer,
    }),
  );
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'public, max-age=300',
    'Content-Length': Buffer.byteLength(json),
  };
  // node:http leaves the body out of a HEAD answer itself.
  return (_req, res) => {
    res.writeHead(200, headers);
    res.end(json);
  };
}
