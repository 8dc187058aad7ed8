import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AuthDeps } from './deps.js';
import { readBody, type BodyRequest } from './body.js';
import { OAuthError, sendOAuthError, sendServerError } from './oauth-error.js';
import { logRequest } from './request-log.js';
import { sendJson } from './send-json.js';
import { DISCOVERY_PATH, JWKS_PATH, REVOKE_PATH, TOKEN_PATH, discoveryRoute } from './routes/discovery.js';
import type { GetRoute } from './routes/get-route.js';
import { healthRoute } from './routes/health.js';
import { jwksRoute } from './routes/jwks.js';
import { metricsRoute } from './routes/metrics.js';
import { openApiRoute } from './routes/openapi.js';
import { revokeRoute } from './routes/revoke.js';
import { tokenRoute, type OAuthRoute } from './routes/token.js';
import { AUTHORIZE_PATH, authorizeGetRoute, authorizePostRoute } from './authorize/route.js';
import type { CorsMode } from './cors.js';
import { LOGOUT_PATH, logoutRoutes } from './oidc/logout.js';
import { USERINFO_PATH, userinfoRoute } from './oidc/userinfo.js';

/**
 * One path of the service: a POST endpoint whose body is read first, a GET (and HEAD) one, or one that
 * takes both (the authorization page: GET shows it, POST is its forms; userinfo; logout). `cors`: who
 * may call it from a page of another origin (cors.ts); absent for pages and operations endpoints.
 */
type Endpoint = (
  | { readonly method: 'POST'; readonly route: OAuthRoute }
  | { readonly method: 'GET'; readonly route: GetRoute }
  | { readonly method: 'GET+POST'; readonly get: GetRoute; readonly post: OAuthRoute }
) & { readonly cors?: CorsMode };

const METHODS = { POST: 'POST', GET: 'GET, HEAD', 'GET+POST': 'GET, HEAD, POST' } as const;

const NOT_FOUND = { error: 'not_found', error_description: 'No such endpoint.' } as const;

/**
 * The path of a request URL as Express's router matched it (the service ran on Express before):
 * without the query, in lower case, without one trailing slash. An absolute-form target
 * (`http://host/path`, RFC 9112 §3.2.2) counts by its path. A target that is neither (`*?x`,
 * `http://[oauth/logout?id_token_hint=...`) matches no endpoint; it is logged as this path too, so it
 * loses its query the same way: queries carry tokens (`id_token_hint`, `refresh_token` sent by mistake).
 */
export function routePath(url: string): string {
  let target = url;
  if (target.charCodeAt(0) !== 0x2f) {
    try {
      target = new URL(target).pathname;
    } catch {
      const query = target.indexOf('?');
      return query < 0 ? target : target.slice(0, query);
    }
  }
  const query = target.indexOf('?');
  const path = (query < 0 ? target : target.slice(0, query)).toLowerCase();
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * The auth service's one request listener and route table: find the endpoint, check the method, (for
 * the OAuth endpoints) read the body, run the route. Ten fixed paths need no framework; going through
 * Express's router (prototype swaps on req and res, layer matching, the middleware chain) cost about a
 * third of a client_credentials request (~2,700 against ~4,300 tokens/s on one core).
 */
export function createRequestListener(deps: AuthDeps): RequestListener {
  const endpoints = new Map<string, Endpoint>([
    [TOKEN_PATH, { method: 'POST', route: tokenRoute(deps), cors: 'clients' }],
    [REVOKE_PATH, { method: 'POST', route: revokeRoute(deps), cors: 'clients' }],
    [JWKS_PATH, { method: 'GET', route: jwksRoute(deps), cors: 'public' }],
    [DISCOVERY_PATH, { method: 'GET', route: discoveryRoute(deps), cors: 'public' }],
    [AUTHORIZE_PATH, { method: 'GET+POST', get: authorizeGetRoute(deps), post: authorizePostRoute(deps) }],
    [USERINFO_PATH, { method: 'GET+POST', ...userinfoRoute(deps), cors: 'clients' }],
    [LOGOUT_PATH, { method: 'GET+POST', ...logoutRoutes(deps) }],
    ['/healthz', { method: 'GET', route: healthRoute(deps) }],
    ['/metrics', { method: 'GET', route: metricsRoute(deps) }],
    ['/openapi.json', { method: 'GET', route: openApiRoute(deps), cors: 'public' }],
  ]);
  const { logger } = deps;

  const fail = (res: ServerResponse) => (error: unknown) =>
    error instanceof OAuthError ? sendOAuthError(res, error) : sendServerError(res, logger, error);

  const answerPost = (route: OAuthRoute, req: BodyRequest, res: ServerResponse) =>
    readBody(req, (refusal, body) => {
      if (refusal !== undefined) return fail(res)(refusal);
      req.body = body;
      route(req, res).catch(fail(res));
    });

  const answerGet = async (route: GetRoute, req: IncomingMessage, res: ServerResponse) => {
    try {
      await route(req, res);
    } catch (error) {
      fail(res)(error);
    }
  };

  return (req: IncomingMessage, res: ServerResponse) => {
    const path = routePath(req.url ?? '/');
    logRequest(logger, req, res, path);
    const endpoint = endpoints.get(path);
    if (!endpoint) return sendJson(res, 404, {}, NOT_FOUND);
    // CORS costs nothing for requests without Origin (servers, curl, the benchmarks).
    const origin = req.headers.origin;
    if (endpoint.cors !== undefined && origin !== undefined) {
      if (req.method === 'OPTIONS')
        return deps.cors.preflight(req, res, endpoint.cors, origin, METHODS[endpoint.method]);
      deps.cors.apply(res, endpoint.cors, origin);
    }
    if (endpoint.method === 'POST') {
      // Only the body-less answer: the request's own body (if any) is not read.
      if (req.method !== 'POST') return sendMethodNotAllowed(res, 'POST');
      return answerPost(endpoint.route, req, res);
    }
    if (endpoint.method === 'GET+POST' && req.method === 'POST') return answerPost(endpoint.post, req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendMethodNotAllowed(res, METHODS[endpoint.method]);
    void answerGet(endpoint.method === 'GET' ? endpoint.route : endpoint.get, req, res);
  };
}

function sendMethodNotAllowed(res: ServerResponse, allow: string): void {
  const use = allow.split(',')[0]!;
  sendOAuthError(res, new OAuthError('method_not_allowed', `Use ${use}.`, { Allow: allow }));
}
