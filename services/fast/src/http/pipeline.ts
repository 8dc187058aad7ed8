import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { VerifiedAccessToken } from '@tandem/tokens';
import type { FastMetrics, Route } from '../observability/metrics.js';
import type { AuthOutcome, Authenticator } from './auth.js';
import { LateReply } from './late-reply.js';
import { jsonError, send, type Reply } from './respond.js';

export interface Limits {
  readonly maxUrlBytes: number;
  readonly maxHeaderBytes: number;
}

/** The request headers the /v1 routes read ('' when absent; the first one when repeated). */
export interface ReadHeaders {
  authorization: string;
  ifNoneMatch: string;
  /** Set by browsers on cross-origin requests: the page's origin (CORS, http/cors.ts). */
  origin: string;
}

/**
 * The request line's path and query, as read for the URL length check: a route that needs them
 * takes them from here (the path's segments by slicing) instead of asking uWebSockets.js again with
 * getParameter, a native call and a new string per parameter on every read.
 */
export interface RequestLine {
  url: string;
  query: string;
}

/**
 * Refuses oversized URLs and header blocks (414 / 431, JSON); undefined when the request is fine.
 * The size check has to visit every header (uWebSockets.js does not bound them itself), so it also
 * picks the headers the caller reads (`into`) in the same pass: asking for them again with getHeader
 * would build the ~600-character Authorization string a second time on every request.
 */
export function refuseOversized(
  req: HttpRequest,
  limits: Limits,
  into?: ReadHeaders,
  line?: RequestLine,
): Reply | undefined {
  const url = req.getUrl();
  const query = req.getQuery() ?? '';
  if (line) {
    line.url = url;
    line.query = query;
  }
  if (url.length + query.length > limits.maxUrlBytes)
    return jsonError(414, 'uri_too_long', `The URL is longer than ${limits.maxUrlBytes} bytes.`);
  walk.bytes = 0;
  walk.authorization = undefined;
  walk.ifNoneMatch = undefined;
  walk.origin = undefined;
  req.forEach(visitHeader);
  if (walk.bytes > limits.maxHeaderBytes)
    return jsonError(431, 'headers_too_large', `The request headers exceed ${limits.maxHeaderBytes} bytes.`);
  if (into) {
    into.authorization = walk.authorization ?? '';
    into.ifNoneMatch = walk.ifNoneMatch ?? '';
    into.origin = walk.origin ?? '';
  }
  return undefined;
}

/**
 * The header walk's running state, module-level with a module-level visitor: a closure per request
 * (function + context, allocated on every GET) is not needed, since forEach calls back synchronously
 * and one request is walked at a time.
 */
const walk: {
  bytes: number;
  authorization: string | undefined;
  ifNoneMatch: string | undefined;
  origin: string | undefined;
} = { bytes: 0, authorization: undefined, ifNoneMatch: undefined, origin: undefined };

function visitHeader(key: string, value: string): void {
  walk.bytes += key.length + value.length + 4;
  // uWebSockets.js hands header names over in lower case.
  if (key === 'authorization') walk.authorization ??= value;
  else if (key === 'if-none-match') walk.ifNoneMatch ??= value;
  else if (key === 'origin') walk.origin ??= value;
}

const internalError = () => jsonError(500, 'internal_error', 'The request could not be completed.');

/**
 * Runs `respond(token, request)` for an authenticated request. Everything from `req` must be read
 * into `request` before calling (req is only valid synchronously). Cached tokens answer in the same
 * tick; others through `whenVerified`. `respond` is a function made once per route, and what it
 * needs travels in `request`: a closure per request costs an allocation plus V8's lazy-compile stub
 * on its first (and only) call (Builtins_CompileLazy, 0.5% of CPU samples under wrk).
 */
export function authenticated<R>(
  res: HttpResponse,
  authorization: string,
  auth: Authenticator,
  metrics: FastMetrics,
  route: Route,
  respond: (token: VerifiedAccessToken, request: R) => Reply,
  request: R,
): void {
  const outcome = auth.authenticateHeader(authorization);
  if (!(outcome instanceof Promise)) {
    send(res, metrics, route, outcome.ok ? respond(outcome.token, request) : outcome.reply);
    return;
  }
  // Build and send in one synchronous step: a list body lives in a shared buffer until it is sent.
  whenVerified(res, metrics, route, outcome, (result) => {
    let reply: Reply;
    try {
      reply = result.ok ? respond(result.token, request) : result.reply;
    } catch {
      reply = internalError();
    }
    send(res, metrics, route, reply);
  });
}

/**
 * Finishes a request (HTTP or WebSocket upgrade) whose token is still being verified (signature check,
 * maybe a JWKS fetch). uWebSockets.js needs onAborted registered before the handler returns when the
 * answer comes later; `finish` then runs corked, and never once the client has gone. A verification
 * that fails unexpectedly answers 500.
 */
export function whenVerified(
  res: HttpResponse,
  metrics: FastMetrics,
  route: Route,
  pending: Promise<AuthOutcome>,
  finish: (outcome: AuthOutcome) => void,
): void {
  const late = new LateReply(res, metrics, route);
  // A sampled request (observability/latency.ts) is timed until its answer is sent, not until here.
  const timed = metrics.latency.deferred();
  pending.then(
    (outcome) => {
      if (late.answer(() => finish(outcome))) timed?.();
    },
    () => {
      if (late.send(internalError())) timed?.();
    },
  );
}
