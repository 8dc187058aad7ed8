import uWS, { type HttpResponse, type TemplatedApp, type us_listen_socket } from 'uWebSockets.js';
import type { Config } from '@tandem/config';
import type { Logger } from '@tandem/log';
import { hotProjections, type HotProjection, type Orm } from '@tandem/models';
import {
  ChangeFeed,
  compileProjections,
  openFeedSource,
  type CompiledProjection,
  type FeedSource,
} from '@tandem/changefeed';
import { AccessTokenVerifier, RemoteJwks } from '@tandem/tokens';
import { feedHandlers } from './feed.js';
import { Authenticator } from './http/auth.js';
import { listReply } from './http/list.js';
import { authenticated, refuseOversized, type Limits, type ReadHeaders } from './http/pipeline.js';
import { recordReply } from './http/record.js';
import { jsonError, send } from './http/respond.js';
import { LiveHub } from './live.js';
import { FastMetrics, renderPrometheus, type MetricFamily, type Route } from './metrics.js';
import { assertNativeUws } from './native.js';
import { RevokedSessions } from './revocations.js';
import { HotStore } from './store.js';

export interface FastServer {
  readonly url: string;
  readonly port: number;
  /** Resolves when the first snapshot is loaded (the service answers /v1 and /healthz is 200). */
  readonly ready: Promise<void>;
  readonly store: HotStore;
  readonly feed: ChangeFeed;
  readonly jwks: RemoteJwks;
  readonly verifier: AccessTokenVerifier;
  readonly metrics: FastMetrics;
  readonly live: LiveHub;
  close(): Promise<void>;
}

export interface FastOptions {
  /** Defaults to the declarations in @tandem/models. */
  readonly projections?: readonly HotProjection[];
  /** Defaults to the source for config.database. */
  readonly source?: FeedSource;
}

/** Starts the fast service: listens at once, serves /v1 after the first snapshot. */
export async function startFast(
  config: Config,
  orm: Orm,
  logger: Logger,
  options: FastOptions = {},
): Promise<FastServer> {
  assertNativeUws();
  const projections = compileProjections(
    options.projections ?? hotProjections,
    (name) => orm.getMetadata().find(name) ?? undefined,
    config.database.dialect,
  );
  const store = new HotStore(projections);
  const metrics = new FastMetrics();
  const revoked = new RevokedSessions();
  const jwks = new RemoteJwks({
    issuer: config.tokens.issuer,
    jwksUrl: config.fast.jwksUrl,
    minRefetchIntervalMs: config.fast.jwksRefetchMinSeconds * 1000,
  });
  const verifier = new AccessTokenVerifier({
    jwks,
    issuer: config.tokens.issuer,
    audience: config.tokens.audience,
    leewaySeconds: config.fast.tokenLeewaySeconds,
    cacheSize: config.fast.tokenCacheSize,
  });
  const auth = new Authenticator(verifier, revoked, metrics);
  const limits: Limits = { maxUrlBytes: config.fast.maxUrlBytes, maxHeaderBytes: config.fast.maxHeaderBytes };

  const app = uWS.App();
  const live = new LiveHub(app, store, auth, metrics, {
    limits,
    maxBackpressureBytes: config.fast.wsMaxBackpressureBytes,
    logger,
  });
  revoked.onRevoked = (sid) => live.closeSession(sid);
  const feed = new ChangeFeed(
    options.source ?? openFeedSource(config.database, projections, config.feed),
    feedHandlers(store, revoked, live),
    {
      ...config.feed,
      logger,
    },
  );
  routes(app, { store, auth, metrics, limits, feed, jwks, verifier, live, revoked, projections });

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) =>
    app.listen(config.host, config.ports.fast, (socket) =>
      socket
        ? resolve(socket)
        : reject(new Error(`fast service could not listen on ${config.host}:${config.ports.fast}`)),
    ),
  );
  const port = uWS.us_socket_local_port(listenSocket);
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  // Keys are fetched ahead of the first request. If the auth service is not up yet, RemoteJwks retries
  // in the background (0.5 s, doubling) and a token with an unknown kid may refetch at once; /healthz
  // answers 503 until keys are held.
  void jwks.refresh(true).then(() => {
    if (jwks.lastError)
      logger.warn({ err: jwks.lastError }, 'JWKS not loaded yet; retrying in the background');
  });
  const sweeper = setInterval(() => revoked.sweep(Date.now()), 60_000);
  sweeper.unref();
  const ready = feed.start();
  ready.catch(() => undefined);

  return {
    url,
    port,
    ready,
    store,
    feed,
    jwks,
    verifier,
    metrics,
    live,
    async close() {
      clearInterval(sweeper);
      jwks.stop();
      uWS.us_listen_socket_close(listenSocket);
      live.closeAll();
      await feed.close();
    },
  };
}

interface RouteDeps {
  readonly store: HotStore;
  readonly auth: Authenticator;
  readonly metrics: FastMetrics;
  readonly limits: Limits;
  readonly feed: ChangeFeed;
  readonly jwks: RemoteJwks;
  readonly verifier: AccessTokenVerifier;
  readonly live: LiveHub;
  readonly revoked: RevokedSessions;
  readonly projections: readonly CompiledProjection[];
}

function routes(app: TemplatedApp, deps: RouteDeps): void {
  const { store, auth, metrics, limits } = deps;
  const methodNotAllowed = (route: Route) => (res: HttpResponse) =>
    send(
      res,
      metrics,
      'method_not_allowed',
      jsonError(405, 'method_not_allowed', `Only GET is supported here (${route}).`, [['Allow', 'GET']]),
    );

  app.get('/v1/:collection/:id', (res, req) => {
    const headers: ReadHeaders = { authorization: '', ifNoneMatch: '' };
    const refused = refuseOversized(req, limits, headers);
    if (refused) return send(res, metrics, 'refused', refused);
    const collection = req.getParameter(0) ?? '';
    const id = req.getParameter(1) ?? '';
    authenticated(res, headers.authorization, auth, metrics, 'record', (token) =>
      recordReply(store, collection, id, headers.ifNoneMatch, token),
    );
  });
  app.get('/v1/:collection', (res, req) => {
    const headers: ReadHeaders = { authorization: '', ifNoneMatch: '' };
    const refused = refuseOversized(req, limits, headers);
    if (refused) return send(res, metrics, 'refused', refused);
    const collection = req.getParameter(0) ?? '';
    const query = req.getQuery() ?? '';
    authenticated(res, headers.authorization, auth, metrics, 'list', (token) =>
      listReply(store, collection, query, token),
    );
  });
  app.get('/healthz', (res) => {
    const body = health(deps);
    send(res, metrics, 'healthz', {
      status: body.ready ? 200 : 503,
      body: JSON.stringify(body),
      headers: [['Cache-Control', 'no-store']],
    });
  });
  app.get('/metrics', (res) => {
    send(res, metrics, 'metrics', {
      status: 200,
      body: renderPrometheus(metricFamilies(deps)),
      contentType: 'text/plain; version=0.0.4',
    });
  });
  app.any('/v1/:collection/:id', methodNotAllowed('record'));
  app.any('/v1/:collection', methodNotAllowed('list'));
  app.any('/healthz', methodNotAllowed('healthz'));
  app.any('/metrics', methodNotAllowed('metrics'));
  app.any('/*', (res, req) => {
    const refused = refuseOversized(req, limits);
    if (refused) return send(res, metrics, 'refused', refused);
    send(
      res,
      metrics,
      'not_found',
      jsonError(404, 'not_found', 'No such route. Try GET /v1/{collection}/{id}.'),
    );
  });
}

/**
 * Ready (200) once the snapshot is loaded and the issuer's signing keys are held: without keys every
 * token would be refused, so a replica without them must stay out of rotation.
 */
function health({ store, feed, jwks }: RouteDeps) {
  const status = feed.status();
  const records: Record<string, number> = {};
  for (const [name, collection] of store.collections) records[name] = collection.size;
  const notReady = !store.ready ? 'loading snapshot' : jwks.size === 0 ? 'no signing keys yet' : undefined;
  return {
    status: notReady ? 'starting' : status.stale ? 'stale' : 'ok',
    ready: notReady === undefined,
    ...(notReady && { reason: notReady }),
    feed: {
      connected: status.connected,
      stale: status.stale,
      lagEvents: status.lagEvents,
      lagMs: status.lagMs,
      position: status.position ?? null,
      lastError: status.lastError ?? null,
    },
    jwks: { keys: jwks.size, lastError: jwks.lastError ?? null },
    records,
  };
}

function metricFamilies({ store, feed, jwks, verifier, metrics, live, revoked }: RouteDeps): MetricFamily[] {
  const status = feed.status();
  const n = (value: boolean) => (value ? 1 : 0);
  return [
    {
      name: 'tandem_fast_requests_total',
      type: 'counter',
      help: 'HTTP requests by route and status.',
      samples: [...metrics.requestSamples()].map(
        ([route, code, count]) => [{ route, status: String(code) }, count] as const,
      ),
    },
    {
      name: 'tandem_fast_aborted_requests_total',
      type: 'counter',
      help: 'Requests the client aborted before the answer.',
      samples: [[undefined, metrics.abortedRequests]],
    },
    {
      name: 'tandem_fast_token_cache_hits_total',
      type: 'counter',
      help: 'Requests answered from the verified-token cache.',
      samples: [[undefined, verifier.cache.hits]],
    },
    {
      name: 'tandem_fast_token_cache_misses_total',
      type: 'counter',
      help: 'Tokens that needed a signature check.',
      samples: [[undefined, verifier.cache.misses]],
    },
    {
      name: 'tandem_fast_token_cache_entries',
      type: 'gauge',
      help: 'Verified tokens cached.',
      samples: [[undefined, verifier.cache.size]],
    },
    {
      name: 'tandem_fast_token_failures_total',
      type: 'counter',
      help: 'Requests refused with 401.',
      samples: [[undefined, metrics.tokenFailures]],
    },
    {
      name: 'tandem_fast_jwks_fetches_total',
      type: 'counter',
      help: 'JWKS fetches from the issuer.',
      samples: [[undefined, jwks.stats.fetches]],
    },
    {
      name: 'tandem_fast_jwks_fetch_failures_total',
      type: 'counter',
      help: 'JWKS fetches that failed.',
      samples: [[undefined, jwks.stats.failures]],
    },
    {
      name: 'tandem_fast_jwks_refetch_refused_total',
      type: 'counter',
      help: 'Unknown-kid refetches refused by the rate bound.',
      samples: [[undefined, jwks.stats.refused]],
    },
    {
      name: 'tandem_fast_revoked_sessions',
      type: 'gauge',
      help: 'Revoked sessions known to this node.',
      samples: [[undefined, revoked.size]],
    },
    {
      name: 'tandem_fast_feed_ready',
      type: 'gauge',
      help: '1 once the snapshot is loaded.',
      samples: [[undefined, n(status.ready)]],
    },
    {
      name: 'tandem_fast_feed_connected',
      type: 'gauge',
      help: '1 while the change feed is connected.',
      samples: [[undefined, n(status.connected)]],
    },
    {
      name: 'tandem_fast_feed_stale',
      type: 'gauge',
      help: '1 when served data may be stale.',
      samples: [[undefined, n(status.stale)]],
    },
    {
      name: 'tandem_fast_feed_lag_events',
      type: 'gauge',
      help: 'Committed changes not applied yet.',
      samples: [[undefined, status.lagEvents]],
    },
    {
      name: 'tandem_fast_feed_lag_ms',
      type: 'gauge',
      help: 'Age of the oldest unapplied change (time since last read while disconnected).',
      samples: [[undefined, status.lagMs]],
    },
    {
      name: 'tandem_fast_feed_events_applied_total',
      type: 'counter',
      help: 'Outbox events applied.',
      samples: [[undefined, status.eventsApplied]],
    },
    {
      name: 'tandem_fast_feed_snapshots_total',
      type: 'counter',
      help: 'Snapshots loaded (1 + reloads).',
      samples: [[undefined, status.snapshots]],
    },
    {
      name: 'tandem_fast_feed_reconnects_total',
      type: 'counter',
      help: 'Database reconnections of the feed.',
      samples: [[undefined, status.reconnects]],
    },
    {
      name: 'tandem_fast_records',
      type: 'gauge',
      help: 'Records per hot collection.',
      samples: [...store.collections].map(([collection, c]) => [{ collection }, c.size] as const),
    },
    {
      name: 'tandem_fast_ws_connections',
      type: 'gauge',
      help: 'Open WebSocket connections.',
      samples: [[undefined, live.connections]],
    },
    {
      name: 'tandem_fast_ws_messages_total',
      type: 'counter',
      help: 'WebSocket messages received.',
      samples: [[undefined, metrics.wsMessages]],
    },
    {
      name: 'tandem_fast_ws_errors_total',
      type: 'counter',
      help: 'Error frames sent.',
      samples: [[undefined, metrics.wsErrors]],
    },
  ];
}
