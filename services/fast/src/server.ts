import uWS, { type us_listen_socket } from 'uWebSockets.js';
import { hotProjections, writeBodySchemas, type HotProjection } from '@tandem/models';
import { ChangeFeed, compileProjections, openFeedSource, type FeedSource } from '@tandem/changefeed';
import { MetricsAccess, type RunningService, type ServiceOptions } from '@tandem/service';
import { AllowedOrigins, type AccessTokenVerifier, type RemoteJwks } from '@tandem/tokens';
import { openWriteQueue, type WriteQueue } from '@tandem/writes';
import { databaseRows } from './data/database-rows.js';
import { HotStore } from './data/store.js';
import { feedHandlers } from './feed.js';
import { FastCors } from './http/cors.js';
import { LiveHub } from './live.js';
import { FastMetrics } from './observability/metrics.js';
import { assertNativeUws } from './native.js';
import { openApiReply } from './openapi.js';
import { mountRoutes } from './routes.js';
import { TokenTrust } from './token-trust.js';
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
  assertNativeUws();
  const declared = options.projections ?? hotProjections;
  const metadata = (name: string) => orm.getMetadata().find(name) ?? undefined;
  // A declaration that cannot be served stops start-up here, with a message naming it.
  const projections = compileProjections(declared, metadata, config.database.dialect);
  const store = new HotStore(projections);
  const metrics = new FastMetrics();
  // A revoked session's sockets are closed; `live` exists before the feed, the only caller, starts.
  const tokens = new TokenTrust(config, metrics, (sid) => live.closeSession(sid));
  const limits = { maxUrlBytes: config.fast.maxUrlBytes, maxHeaderBytes: config.fast.maxHeaderBytes };
  const app = uWS.App();
  const live = new LiveHub(app, store, tokens.auth, metrics, {
    limits,
    maxBackpressureBytes: config.fast.wsMaxBackpressureBytes,
    maxSocketsPerSubject: config.fast.wsMaxSocketsPerSubject,
    logger,
  });
  const origins = new AllowedOrigins(orm, config.corsAllowedOrigins);
  // In the background: fast listens (and answers 503) while its database is unreachable or locked.
  void origins.keepFresh((err) => logger.warn({ err }, 'CORS origins not read; retrying'));
  const cors = new FastCors(origins);
  const writeQueue = options.writeQueue ?? openWriteQueue(config, orm);
  void writeQueue.durabilityWarning?.().then((warning) => warning && logger.warn(`write queue: ${warning}`));
  // Validators compiled here, once per writable collection (a bad declaration stops start-up).
  const writes = new WritePath({
    store,
    auth: tokens.auth,
    metrics,
    limits,
    cors,
    logger,
    queue: writeQueue,
    projections: declared,
    schemasOf: (projection) => writeBodySchemas(projection, metadata),
    settings: config.writes,
    databaseRows: databaseRows(orm, projections),
  });
  const source = options.source ?? openFeedSource(config.database, projections, config.feed);
  const handlers = feedHandlers(store, tokens.revoked, live, writes.waiters);
  const feed = new ChangeFeed(source, handlers, { ...config.feed, logger });
  mountRoutes(app, {
    store,
    auth: tokens.auth,
    metrics,
    limits,
    feed,
    live,
    cors,
    writes,
    writeQueue,
    jwks: tokens.jwks,
    verifier: tokens.verifier,
    revoked: tokens.revoked,
    openApi: openApiReply(orm, declared),
    metricsAccess: new MetricsAccess(config.metricsToken),
  });

  const { socket, port } = await listen(app, config.host, options.port ?? config.ports.fast);
  tokens.fetchKeys(logger);
  const sweeper = setInterval(() => {
    const now = Date.now();
    tokens.revoked.sweep(now);
    store.sweep(now);
  }, 60_000);
  sweeper.unref();
  const ready = feed.start();
  ready.catch(() => undefined);

  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    port,
    ready,
    store,
    feed,
    jwks: tokens.jwks,
    verifier: tokens.verifier,
    metrics,
    live,
    writes,
    async close() {
      clearInterval(sweeper);
      origins.stop();
      tokens.stop();
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
