import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AuthDeps } from './deps.js';
import { createAuthApp } from './app.js';
import { bodyErrorAsOAuth, parseBody, type BodyRequest } from './body.js';
import { OAuthError, sendOAuthError, sendServerError } from './oauth-error.js';
import { logRequest } from './request-log.js';
import { REVOKE_PATH, TOKEN_PATH } from './routes/discovery.js';
import { revokeRoute } from './routes/revoke.js';
import { tokenRoute, type OAuthRoute } from './routes/token.js';

/**
 * The path of a request URL as Express's router matches it: without the query, in lower case, and
 * without one trailing slash (its defaults: case-insensitive, not strict).
 */
export function routePath(url: string): string {
  const query = url.indexOf('?');
  const path = (query < 0 ? url : url.slice(0, query)).toLowerCase();
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * The auth service's request listener. The OAuth endpoints (token, revocation) are answered here,
 * flat: read the body, run the route, answer; their errors are OAuth errors. Going through Express's
 * router instead (prototype swaps on req and res, layer matching, the middleware chain) cost about a
 * third of a client_credentials request: ~2,700 against ~4,300 tokens/s on one core, same code
 * otherwise. Every other path goes to the Express app (JWKS, discovery, health, metrics, the 404).
 */
export function createRequestListener(deps: AuthDeps): RequestListener {
  const app = createAuthApp(deps);
  const routes = new Map<string, OAuthRoute>([
    [TOKEN_PATH, tokenRoute(deps)],
    [REVOKE_PATH, revokeRoute(deps)],
  ]);
  const { logger } = deps;

  const run = (route: OAuthRoute, req: BodyRequest, res: ServerResponse) => (error?: unknown) => {
    if (error !== undefined) {
      const refusal = bodyErrorAsOAuth(error);
      return refusal ? sendOAuthError(res, refusal) : sendServerError(res, logger, error);
    }
    route(req, res).catch((failure: unknown) => sendServerError(res, logger, failure));
  };

  return (req: IncomingMessage, res: ServerResponse) => {
    const path = routePath(req.url ?? '/');
    const route = routes.get(path);
    if (!route) return app(req, res);
    logRequest(logger, req, res, path);
    if (req.method !== 'POST') {
      // Only the body-less answer: the request's own body (if any) is not read.
      return sendOAuthError(res, new OAuthError('method_not_allowed', 'Use POST.', { Allow: 'POST' }));
    }
    parseBody(req, res, run(route, req, res));
  };
}
