import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import AdminJS, { ErrorTypeEnum, Router as AdminRouter } from 'adminjs';
import { buildAssets, buildRoutes } from '@adminjs/express';
import compression from 'compression';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import session from 'express-session';
import type { Config } from '@tandem/config';
import type { Logger } from '@tandem/log';
import type { Orm } from '@tandem/models';
import type { RunningService, ServiceOptions } from '@tandem/service';
import { knownResourcesOnly, refusedBeforeLookup } from './action-routes.js';
import { EXPORT_PATH, exportRoutes } from './actions/export-route.js';
import { readOrChangeOnly } from './api-methods.js';
import { ROOT_PATH, adminOptions } from './admin-options.js';
import { loginRoutes, passwordGuesses, requireStaff } from './auth.js';
import { liveMetricsRoute } from './metrics/route.js';
import { MetricsSampler, metricsTargets } from './metrics/sampler.js';
import { createComponents } from './components.js';
import { identityBodiesOnly } from './content-encoding.js';
import { acceptableBodies, formBodies } from './form-bodies.js';
import { offlineFonts, offlineUplotStyles } from './offline-assets.js';
import { inlineScriptNonce, securityHeaders } from './page-security.js';
import { servePrecompressedAssets } from './served-assets.js';
import { refusePrototypeKeys } from './prototype-keys.js';
import { RequestRefused } from './request-refused.js';
import { refuseUploads } from './uploads-refused.js';
import { sameOriginWrites } from './same-origin.js';
import { DatabaseSessionStore } from './session-store.js';

export interface AdminServer extends RunningService {
  /** Where a person opens the admin: `${url}/admin`. */
  readonly adminUrl: string;
}

export interface AdminOptions extends ServiceOptions {
  /** Signs session cookies; defaults to sessionSecret(config). */
  readonly secret?: string;
}

export class AdminStartupError extends Error {
  override name = 'AdminStartupError';
}

/**
 * The key that signs session cookies. Production refuses to run without one (a random key would log
 * everyone out on each restart and differ between replicas); development gets an ephemeral key.
 */
export function sessionSecret(config: Config, logger: Logger): string {
  if (config.secretKey) return config.secretKey;
  if (config.env === 'production') {
    throw new AdminStartupError(
      'TANDEM_SECRET_KEY must be set in production (at least 32 characters); it signs admin session cookies.',
    );
  }
  logger.warn(
    'TANDEM_SECRET_KEY is not set: using a random key for this run; admin sessions end when the admin restarts.',
  );
  return randomBytes(32).toString('base64url');
}

/**
 * AdminJS answers a refused action, and an action on a record that is not there, with HTTP 200 and an
 * error notice; say 403 and 404 as well, so a direct request that bypasses the hidden button is visibly
 * refused, and a missing record is a 404 on every route (a bulk action's already was). The admin's own
 * pages treat either as a failed request: an error notice, and the "not found" panel on a record page.
 */
const refusalsAsStatus: RequestHandler = (_req, res, next) => {
  const send = res.send.bind(res);
  res.send = ((body?: unknown) => {
    if (typeof body === 'object' && body !== null) {
      const answer = body as {
        notice?: { message?: string };
        record?: { baseError?: { type?: string } | null };
      };
      if (answer.notice?.message === 'forbiddenError') res.status(403);
      else if (answer.record?.baseError?.type === ErrorTypeEnum.NotFound) res.status(404);
    }
    return send(body);
  }) as typeof res.send;
  next();
};

/**
 * Pages (~160 KB of HTML, mostly AdminJS's state of every resource), stylesheets and API answers compressed per
 * response; the scripts are precompressed at build time instead (served-assets.ts). Downloads (CSV,
 * JSON Lines) stay as they are: they stream, and a cut connection must stay visible as one. No secret
 * shares a compressed response with text another site can make the admin reflect (BREACH): the pages
 * hold no token, and cross-site POSTs are refused before they reach AdminJS.
 */
const compressedPagesAndJson = compression({
  filter: (_req, res) =>
    /^(text\/(html|css)|application\/json)\b/.test(String(res.getHeader('Content-Type') ?? '')),
});

/**
 * API answers are one staff member's data (a new client's one-time secret among them): no browser or
 * proxy may keep a copy. Nothing relies on caching them; the scripts and styles are not under /api.
 */
const apiAnswersNotStored: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

/** What no API route answered (an unknown path, or a known one in another casing): JSON, as the rest. */
const unknownApiPath: RequestHandler = (_req, res) => {
  res.status(404).json({ error: 'not_found', message: 'No such API route.' });
};

/**
 * A bulk action's `recordIds` is one comma-separated list; AdminJS splits it as a string, so the
 * parameter given twice (an array) used to end in a 500.
 */
const oneRecordIdsList: RequestHandler = (req, _res, next) => {
  const recordIds = (req.query as Record<string, unknown> | undefined)?.recordIds;
  if (recordIds === undefined || typeof recordIds === 'string') return next();
  next(new RequestRefused(400, 'invalid_query', 'recordIds must be given once, as ids separated by commas.'));
};

function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: Error & { status?: number }, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof RequestRefused) {
      res.status(error.status).json({ error: error.code, message: error.message });
      return;
    }
    const status =
      error.name === 'NotFoundError'
        ? 404
        : error.name === 'ForbiddenError'
          ? 403
          : error.status && error.status < 500
            ? error.status
            : 500;
    if (status >= 500) logger.error({ err: error, path: req.path }, 'admin request failed');
    const message =
      status === 404
        ? 'Not found.'
        : status === 403
          ? 'You do not have permission to do that.'
          : status < 500
            ? 'Bad request.'
            : 'Something went wrong on our side; the error was logged.';
    // The export's own refusals are JSON too (a download link has no page to show an error in).
    const answersJson = [`${ROOT_PATH}/api/`, `${ROOT_PATH}${EXPORT_PATH}/`].some((prefix) =>
      req.path.startsWith(prefix),
    );
    if (answersJson || req.accepts(['html', 'json']) === 'json') {
      res.status(status).json({ error: status === 500 ? 'internal_error' : 'request_error', message });
      return;
    }
    res
      .status(status)
      .type('html')
      .send(
        `<!DOCTYPE html><title>Tandem admin</title><p>${message}</p><p><a href="${ROOT_PATH}">Back to the admin</a></p>`,
      );
  };
}

/** The Express app: AdminJS at /admin behind Tandem's staff login, sessions in the database. */
export async function createAdminApp(
  config: Config,
  orm: Orm,
  logger: Logger,
  secret: string = sessionSecret(config, logger),
) {
  const components = createComponents();
  const guesses = passwordGuesses(config);
  const admin = new AdminJS(
    adminOptions(orm, components, {
      ...(config.secretKey !== undefined && { secretKey: config.secretKey }),
      passwordGuesses: guesses,
      orderHoldSeconds: config.writes.orderHoldSeconds,
    }),
  );
  // Bundles the custom components only in production without a prebuilt bundle (see main.ts).
  await admin.initialize();

  const store = new DatabaseSessionStore(orm, config.adminSessionMaxAgeSeconds * 1000);
  const app = express();
  app.disable('x-powered-by');
  // Paths have one spelling. Express matched any casing (`/api/resources/X/Actions/new`), while the
  // guards that read the path themselves (action-routes.ts) know the lower-case one AdminJS's links
  // use: another casing skipped them and reached AdminJS anyway. Set before the first route.
  app.set('case sensitive routing', true);
  // Behind a TLS proxy named in TRUSTED_PROXIES, its X-Forwarded-Proto makes req.secure true, which
  // the session cookie's `secure: 'auto'` reads: without this it never got Secure there. Nobody else's
  // X-Forwarded-* is believed (false: the socket is the client).
  app.set('trust proxy', config.trustedProxies.length > 0 ? [...config.trustedProxies] : false);
  app.use(inlineScriptNonce, securityHeaders);
  app.get('/', (_req, res) => res.redirect(302, ROOT_PATH));
  // For probes: 503 while the database does not answer (the admin is of no use without it), as auth's.
  app.get('/healthz', async (_req, res) => {
    let database = true;
    try {
      await orm.em.getConnection().execute('select 1');
    } catch {
      database = false;
    }
    res
      .status(database ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: database ? 'ok' : 'unavailable', checks: { database } });
  });

  // No body parser before this router: AdminJS parses its own forms (express-formidable).
  const router = express.Router({ caseSensitive: true });
  router.use('/api', readOrChangeOnly);
  router.use(sameOriginWrites);
  // Bodies the form parser (formBodies, below) must not read are refused before any other work.
  router.use(identityBodiesOnly, acceptableBodies);
  router.use('/api', apiAnswersNotStored);
  router.use(compressedPagesAndJson);
  offlineFonts(router, ROOT_PATH);
  offlineUplotStyles(router);
  servePrecompressedAssets(router, ROOT_PATH, logger);
  router.use(
    session({
      name: 'tandem_admin',
      secret,
      store,
      resave: false,
      saveUninitialized: false,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: 'auto',
        path: ROOT_PATH,
        maxAge: config.adminSessionMaxAgeSeconds * 1000,
      },
    }),
  );
  router.use(formBodies);
  router.use(refuseUploads);
  router.use(refusePrototypeKeys);
  const deps = { admin, orm, config, logger, guesses };
  const login = loginRoutes(router, deps);
  buildAssets({ admin, assets: AdminRouter.assets, routes: AdminRouter.routes, router });
  router.use(requireStaff(deps));
  exportRoutes(router, admin, logger);
  const sampler = new MetricsSampler(metricsTargets(config), logger, {
    metricsToken: config.metricsToken,
  });
  sampler.start();
  liveMetricsRoute(router, sampler);
  router.use('/api', refusalsAsStatus, oneRecordIdsList);
  router.use('/api/resources/:resourceId', knownResourcesOnly(admin), refusedBeforeLookup(admin));
  buildRoutes({ admin, routes: AdminRouter.routes, router });
  router.use('/api', unknownApiPath);
  app.use(ROOT_PATH, router);
  app.use(errorHandler(logger));
  return { app, admin, store, login, sampler };
}

/**
 * Starts the admin on config.host and `port` (config.ports.admin unless given; 0 picks a free one).
 * `secret` defaults to sessionSecret(config); main.ts resolves it first so a missing production key
 * stops start-up before anything is opened.
 */
export async function startAdmin(options: AdminOptions): Promise<AdminServer> {
  const { config, orm, logger, port = config.ports.admin } = options;
  const secret = options.secret ?? sessionSecret(config, logger);
  const { app, store, login, sampler } = await createAdminApp(config, orm, logger, secret);
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const listening = app.listen(port, config.host, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
    listening.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    adminUrl: `http://${host}:${address.port}${ROOT_PATH}`,
    async close() {
      store.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await login.close();
      await sampler.close();
    },
  };
}
