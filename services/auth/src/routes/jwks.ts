import type { GetRoute } from './get-route.js';
import type { AuthDeps } from '../deps.js';

/** Verifiers cache the set; an unknown kid makes them refetch, and a next key is published long before it signs. */
export const JWKS_MAX_AGE_SECONDS = 300;

/** GET /.well-known/jwks.json (RFC 7517): public keys only, serialized once per key refresh. */
export function jwksRoute(deps: AuthDeps): GetRoute {
  return (_req, res) => {
    const json = deps.keys.jwksJson();
    res.writeHead(200, {
      'Content-Type': 'application/jwk-set+json; charset=utf-8',
      'Cache-Control': `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
      'Content-Length': Buffer.byteLength(json),
    });
    res.end(json);
  };
}
