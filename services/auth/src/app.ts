import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from '@tandem/log';
import type { AuthDeps } from './deps.js';
import { OAuthError, sendOAuthError } from './oauth-error.js';
import { BODY_LIMIT_BYTES, parseBody } from './params.js';
import { DISCOVERY_PATH, JWKS_PATH, REVOKE_PATH, TOKEN_PATH, discoveryRoute } from './routes/discovery.js';
import { healthRoute } from './routes/health.js';
import { jwksRoute } from './routes/jwks.js';
import { metricsRoute } from './routes/metrics.js';
import { revokeRoute } from './routes/revoke.js';
import { tokenRoute } from './routes/token.js';

/** One line per request: method, path, status, time. Never bodies or headers (they hold secrets). */
function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const record = {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      };
      if (res.statusCode >= 500) logger.error(record, 'request failed');
      else if (res.statusCode >= 400) logger.info(record, 'request refused');
      else logger.debug(record, 'request');
    });
    next();
  };
}

const BODY_ERRORS: Record<string, string> = {
  'entity.too.large': `The request body is too large (limit ${BODY_LIMIT_BYTES / 1024} KiB).`,
  'entity.parse.failed': 'The request body is malformed.',
  'parameters.too.many': 'The request has too many parameters.',
  'encoding.unsupported': 'The request body uses an unsupported content encoding.',
  'charset.unsupported': 'The request body uses an unsupported charset.',
  'entity.verify.failed': 'The request body is malformed.',
};

/** Last stop: bad bodies become 400 invalid_request, anything unexpected a 500 without details. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof OAuthError) return sendOAuthError(res, error);
    const type = (error as { type?: unknown }).type;
    const status = (error as { status?: unknown }).status;
    if (typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500) {
      return sendOAuthError(
        res,
        new OAuthError('invalid_request', BODY_ERRORS[type] ?? 'The request body cannot be read.'),
      );
    }
    logger.error(
      { err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) },
      'unexpected error',
    );
    sendOAuthError(
      res,
      new OAuthError('server_error', 'The server could not handle the request; try again later.'),
    );
  };
}

function methodNotAllowed(allow: string): RequestHandler {
  return (_req, res) => {
    res
      .status(405)
      .set('Allow', allow)
      .json({ error: 'method_not_allowed', error_description: `Use ${allow}.` });
  };
}

/** The Express app of the auth service (no listening: see server.ts). */
export function createAuthApp(deps: AuthDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Token responses are no-store; hashing every body for an ETag would be wasted work on the hot path.
  app.set('etag', false);
  app.use(requestLog(deps.logger));

  app.post(TOKEN_PATH, parseBody, tokenRoute(deps));
  app.post(REVOKE_PATH, parseBody, revokeRoute(deps));
  app.all([TOKEN_PATH, REVOKE_PATH], methodNotAllowed('POST'));
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
