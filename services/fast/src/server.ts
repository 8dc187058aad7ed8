import uWS, { type us_listen_socket } from 'uWebSockets.js';
import { hotProjections, writeBodySchemas, type HotProjection } from '@tandem/models';
import { ChangeFeed, compileProjections, openFeedSource, type FeedSource } from '@tandem/changefeed';
import { MetricsAccess, type RunningService, type ServiceOptions } from '@tandem/service';
import { AccessTokenVerifier, AllowedOrigins, RemoteJwks } from '@tandem/tokens';
import { openWriteQueue, type WriteQueue } from '@tandem/writes';
import { databaseRows } from './data/database-rows.js';
import { HotStore } from './data/store.js';
import { feedHandlers } from './feed.js';
import { Authenticator } from './http/auth.js';
import { FastCors } from './http/cors.js';
import { LiveHub } from './live.js';
import { FastMetrics } from './observability/metrics.js';
import { assertNativeUws } from './native.js';
import { CoarseClock } from './http/coarse-clock.js';
import { openApiReply } from './openapi.js';
import { RevokedSessions } from './revocations.js';
import { mountRoutes } from './routes.js';
import { WritePath } from './writes/write-path.js';

export interface FastServer extends RunningService {
  readonly port: number;
  /** Resolves when the first snapshot is loaded (the service answers /v1 and /healthz is 200). */
  readonly ready: Promise<void>;
  readonly store: HotStore;
  readonly feed: ChangeFeed;
  readonly jwks: RemoteJwks;
  readonly verifier: AccessTokenVerifier;
  readonly metrics: FastMetrics;
  readonly live: LiveHub;
  /** The write endpoints (issue 15): their waiters, rate limit and cached queue depth. */
  readonly writes: WritePath;
}

export interface FastOptions extends ServiceOptions {
  /** Defaults to the declarations in @tandem/models. */
  readonly projections?: readonly HotProjection[];
  /** Defaults to the source for config.database. */
  readonly source?: FeedSource;
  /** Defaults to openWriteQueue(config, orm): Redis Streams when config.writes.redisUrl, else the table. */
  readonly writeQueue?: WriteQueue;
}

/** Starts the fast service: listens at once, serves /v1 after the first snapshot. */
export async function startFast(options: FastOptions): Promise<FastServer> {
  const { config, orm, logger } = options;
  const settings = config.fast;
  assertNativeUws();
  const declared = options.projections ?? hotProjections;
  // A declaration that cannot be served stops start-up here, with a message naming it.
  const projections = compileProjections(
    declared,
    (name) => orm.getMetadata().find(name) ?? undefined,
    config.database.dialect,
  );
  const openApi = openApiReply(orm, declared);
  const store = new HotStore(projections);
  const metrics = new FastMetrics();
  const jwks = new RemoteJwks({
    issuer: config.tokens.issuer,
    jwksUrl: settings.jwksUrl,
    minRefetchIntervalMs: settings.jwksRefetchMinSeconds * 1000,
  });
  const clock = new CoarseClock();
  const verifier = new AccessTokenVerifier({
    now: clock.now,
    jwks,
    issuer: config.tokens.issuer,
    audience: config.tokens.audience,
    leewaySeconds: settings.tokenLeewaySeconds,
    cacheSize: settings.tokenCacheSize,
  });
  // A revoked session's sockets are closed; `live` exists before the feed, the only caller, starts.
  const revoked = new RevokedSessions((sid) => live.closeSession(sid));
  const auth = new Authenticator(verifier, revoked, metrics);
  const limits = { maxUrlBytes: settings.maxUrlBytes, maxHeaderBytes: settings.maxHeaderBytes };
  const app = uWS.App();
  const live = new LiveHub(app, store, auth, metrics, {
    limits,
    maxBackpressureBytes: settings.wsMaxBackpressureBytes,
    maxSocketsPerSubject: settings.wsMaxSocketsPerSubject,
    logger,
  });
  const origins = new AllowedOrigins(orm, config.corsAllowedOrigins);
  // In the background: fast listens (and answers 503) while its database is unreachable or locked.
  void origins.keepFresh((err) => logger.warn({ err }, 'CORS origins not read; retrying'));
  const cors = new FastCors(origins);
  const writeQueue = options.writeQueue ?? openWriteQueue(config, orm);
  // Validators compiled here, once per writable collection (a bad declaration stops start-up).
  const writes = new WritePath({
    store,
    auth,
    metrics,
    limits,
    cors,
    queue: writeQueue,
    projections: declared,
    schemasOf: (projection) =>
      writeBodySchemas(projection, (name) => orm.getMetadata().find(name) ?? undefined),
    settings: config.writes,
    logger,
    databaseRows: databaseRows(orm, projections),
  });
  const source = options.source ?? openFeedSource(config.database, projections, config.feed);
  const feed = new ChangeFeed(source, feedHandlers(store, revoked, live, writes.waiters), {
    ...config.feed,
    logger,
  });
  mountRoutes(app, {
    store,
    auth,
    metrics,
    limits,
    feed,
    jwks,
    verifier,
    live,
    revoked,
    openApi,
    cors,
    writes,
    writeQueue,
    metricsAccess: new MetricsAccess(config.metricsToken),
  });

  const { socket, port } = await listen(app, config.host, options.port ?? config.ports.fast);
  // Keys are fetched ahead of the first request. If auth is not up yet, RemoteJwks retries in the
  // background (0.5 s, doubling) and an unknown kid may refetch at once; /healthz is 503 until keys are held.
  void jwks.refresh(true).then(() => {
    if (jwks.lastError)
      logger.warn({ err: jwks.lastError }, 'JWKS not loaded yet; retrying in the background');
  });
  const sweeper = setInterval(() => {
    const now = Date.now();
    revoked.sweep(now);
    store.sweep(now);
  }, 60_000);
  sweeper.unref();
  const ready = feed.start();
  ready.catch(() => undefined);

  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    port,
    ready,
    store,
    feed,
    jwks,
    verifier,
    metrics,
    live,
    writes,
    async close() {
      clearInterval(sweeper);
      origins.stop();
      jwks.stop();
      clock.stop();
      uWS.us_listen_socket_close(socket);
      live.closeAll();
      // Waiting writes are answered 202 (queued: their outcome is at their Location).
      writes.close();
      await feed.close();
      // A queue passed in is its owner's to close.
      if (!options.writeQueue) await writeQueue.close();
    },
  };
}

function listen(app: uWS.TemplatedApp, host: string, port: number) {
  return new Promise<{ socket: us_listen_socket; port: number }>((resolve, reject) =>
    app.listen(host, port, (socket) =>
      socket
        ? resolve({ socket, port: uWS.us_socket_local_port(socket) })
        : reject(new Error(`fast service could not listen on ${host}:${port}`)),
    ),
  );
}
