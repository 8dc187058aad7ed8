import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from '@tandem/log';
import type { AuthDeps } from './deps.js';
import { OAuthError, sendOAuthError, sendServerError } from './oauth-error.js';
import { logRequest } from './request-log.js';
import { DISCOVERY_PATH, JWKS_PATH, discoveryRoute } from './routes/discovery.js';
import { healthRoute } from './routes/health.js';
import { jwksRoute } from './routes/jwks.js';
import { metricsRoute } from './routes/metrics.js';

const requestLog =
  (logger: Logger): RequestHandler =>
  (req, res, next) => {
    logRequest(logger, req, res, req.path);
    next();
  };

/** Last stop: anything unexpected is a 500 without details. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof OAuthError) return sendOAuthError(res, error);
    sendServerError(res, logger, error);
  };
}

/**
 * The Express app of the auth service: the JWKS, discovery, health and metrics routes and the JSON
 * 404. The OAuth endpoints are answered before it is reached (see handler.ts); no listening here
 * (see server.ts).
 */
export function createAuthApp(deps: AuthDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // JWKS and discovery say how long to cache them (Cache-Control); no ETag is hashed per response.
  app.set('etag', false);
  app.use(requestLog(deps.logger));

  app.get(JWKS_PATH, jwksRoute(deps));
  app.get(DISCOVERY_PATH, discoveryRoute(deps));
  app.get('/healthz', healthRoute(deps));
  app.get('/metrics', metricsRoute(deps));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'No such endpoint.' });
  });
  app.use(errorHandler(deps.logger));
  return app;
}
