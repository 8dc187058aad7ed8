import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { VerifiedAccessToken } from '@tandem/tokens';
import type { HotStore } from './data/store.js';
import type { Authenticator } from './http/auth.js';
import { listReply } from './http/list.js';
import type { FastCors } from './http/cors.js';
import {
  authenticated,
  refuseOversized,
  type Limits,
  type ReadHeaders,
  type RequestLine,
} from './http/pipeline.js';
import { headOnly } from './http/head.js';
import { recordReply } from './http/record.js';
import { jsonError, send, type Reply } from './http/respond.js';
import { LIVE_PATH, type LiveHub } from './live.js';
import { healthReply } from './observability/health.js';
import type { ObservedParts } from './observability/parts.js';
import { serveMetrics } from './observability/scrape.js';
import { WRITES_COLLECTION } from './writes/outcome-waiters.js';
import type { WritePath } from './writes/write-path.js';
import { READ_METHODS } from './writes/writable-collections.js';
import { methodNotAllowed } from './writes/write-replies.js';

export interface RouteDeps extends ObservedParts {
  readonly store: HotStore;
  readonly auth: Authenticator;
  readonly limits: Limits;
  readonly live: LiveHub;
  /** GET /openapi.json, prepared at start-up (openapi.ts). */
  readonly openApi: Reply;
  /** CORS for browsers calling /v1 from another origin (only requests with an Origin header). */
  readonly cors: FastCors;
  /** POST/PATCH/DELETE of collections that declare writes, and GET /v1/writes/{id} (src/writes/). */
  readonly writes: WritePath;
}

/**
 * Every route of the fast service, in the order uWebSockets.js is told about them. /v1 reads are the
 * hot path: a request reads what it needs from `req` in one pass over the headers, and a cached token
 * answers in the same tick with bytes prepared when the data changed.
 */
export function mountRoutes(app: TemplatedApp, deps: RouteDeps): void {
  const { store, auth, metrics, limits, live } = deps;
  // Made once: what a request needs is passed in its own object (see `authenticated`).
  const record = (token: VerifiedAccessToken, r: { collection: string; id: string; ifNoneMatch: string }) =>
    recordReply(store, r.collection, r.id, r.ifNoneMatch, token);
  const list = (token: VerifiedAccessToken, r: { collection: string; query: string }) =>
    listReply(store, r.collection, r.query, token);

  // What a /v1 read uses from its request, read in the same pass that refuses oversized ones. One
  // object each, refilled by every request: a request's values are read synchronously in its handler
  // (uWS's req is valid only then), and what outlives it is copied into the request's own object.
  const headers: ReadHeaders = { authorization: '', ifNoneMatch: '', origin: '' };
  const line: RequestLine = { url: '', query: '' };
  const readRequest = (res: HttpResponse, req: HttpRequest): boolean => {
    const refused = refuseOversized(req, limits, headers, line);
    if (!refused) return true;
    send(res, metrics, 'refused', refused);
    return false;
  };

  // The /v1 reads. HEAD runs the same handler on a response that drops the body (http/head.ts),
  // registered apart so that nothing of it runs on a GET.
  const readRecord = (res: HttpResponse, req: HttpRequest) => {
    if (!readRequest(res, req)) return;
    // The route matched /v1/{collection}/{id}: the segments are the path's after "/v1/".
    const { url } = line;
    const slash = url.indexOf('/', 4);
    const request = {
      collection: url.slice(4, slash),
      id: url.slice(slash + 1),
      ifNoneMatch: headers.ifNoneMatch,
    };
    const out = headers.origin === '' ? res : deps.cors.respondingTo(res, headers.origin);
    authenticated(out, headers.authorization, auth, metrics, 'record', record, request);
  };
  const readList = (res: HttpResponse, req: HttpRequest) => {
    if (!readRequest(res, req)) return;
    const request = { collection: line.url.slice(4), query: line.query };
    const out = headers.origin === '' ? res : deps.cors.respondingTo(res, headers.origin);
    authenticated(out, headers.authorization, auth, metrics, 'list', list, request);
  };

  app.ws(LIVE_PATH, live.behavior());
  // One read in LATENCY_SAMPLE_EVERY is timed for the p99 on /metrics (observability/latency.ts).
  const { latency } = metrics;
  app.get('/v1/:collection/:id', latency.sampled('record', readRecord));
  app.get('/v1/:collection', latency.sampled('list', readList));
  // The writes (issue 15): their own methods, and the static /v1/writes/:id, which uWS matches before
  // /v1/:collection/:id. Nothing of them runs on the reads above.
  const { writes } = deps;
  app.get(`/v1/${WRITES_COLLECTION}/:id`, (res, req) => writes.outcome(res, req));
  app.post('/v1/:collection', (res, req) => writes.write(res, req, 'POST'));
  app.patch('/v1/:collection/:id', (res, req) => writes.write(res, req, 'PATCH'));
  app.del('/v1/:collection/:id', (res, req) => writes.write(res, req, 'DELETE'));
  // Preflights (CORS) of /v1, on their own patterns (the `any` below would take them).
  app.options('/v1/:collection/:id', (res, req) => deps.cors.preflight(res, req));
  app.options('/v1/:collection', (res, req) => deps.cors.preflight(res, req));
  app.get('/healthz', (res, req) =>
    send(res, metrics, 'healthz', healthReply(deps, req.getHeader('authorization'))),
  );
  app.get('/metrics', (res, req) => serveMetrics(res, req.getHeader('authorization'), deps));
  app.get('/openapi.json', (res) => send(res, metrics, 'openapi', deps.openApi));
  mountHead(app, deps, { readRecord, readList });

  // Other methods on those paths (the WebSocket path included: it matches /v1/:collection), then 404.
  // A /v1 path also allows the writes its collection declares.
  const getOnly: readonly (readonly [string, ('record' | 'collection')?])[] = [
    ['/v1/:collection/:id', 'record'],
    ['/v1/:collection', 'collection'],
    ['/healthz'],
    ['/metrics'],
    ['/openapi.json'],
  ];
  for (const [pattern, shape] of getOnly)
    app.any(pattern, (res, req) => {
      const collection = req.getParameter(0) ?? '';
      const allow = shape ? deps.writes.allowed(collection, shape) : READ_METHODS;
      // Named as the write endpoint names it, so one path gives one wording whatever the method.
      const path =
        shape === 'record'
          ? `/v1/${collection}/{id}`
          : shape === 'collection'
            ? `/v1/${collection}`
            : pattern;
      send(res, metrics, 'method_not_allowed', methodNotAllowed(allow, path));
    });
  app.any('/*', (res: HttpResponse, req: HttpRequest) => {
    // A HEAD of an unknown path is answered like its GET, without the body.
    const out = req.getMethod() === 'head' ? headOnly(res) : res;
    const refused = refuseOversized(req, limits);
    if (refused) return send(out, metrics, 'refused', refused);
    send(
      out,
      metrics,
      'not_found',
      jsonError(404, 'not_found', 'No such route. Try GET /v1/{collection}/{id}.'),
    );
  });
}

/**
 * HEAD wherever GET is served (RFC 9110 §9.3.2): the GET's handler on a response that sends its status
 * and headers only. Unsampled, and apart from the GET registrations so they do no work for it.
 */
function mountHead(
  app: TemplatedApp,
  deps: RouteDeps,
  reads: Readonly<Record<'readRecord' | 'readList', (res: HttpResponse, req: HttpRequest) => void>>,
): void {
  const { metrics, writes } = deps;
  // The write outcomes on their static path, which uWS matches before /v1/:collection/:id (as for GET).
  app.head(`/v1/${WRITES_COLLECTION}/:id`, (res, req) => writes.outcome(headOnly(res), req));
  app.head('/v1/:collection/:id', (res, req) => reads.readRecord(headOnly(res), req));
  app.head('/v1/:collection', (res, req) => reads.readList(headOnly(res), req));
  app.head('/healthz', (res, req) =>
    send(headOnly(res), metrics, 'healthz', healthReply(deps, req.getHeader('authorization'))),
  );
  app.head('/metrics', (res, req) => serveMetrics(headOnly(res), req.getHeader('authorization'), deps));
  app.head('/openapi.json', (res) => send(headOnly(res), metrics, 'openapi', deps.openApi));
}
