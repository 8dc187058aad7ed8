import type { HttpResponse } from 'uWebSockets.js';
import type { FastMetrics, Route } from '../observability/metrics.js';
import { JSON_TYPE, type Reply } from '../http/respond.js';

/** Status lines of the write path (RFC 9110 §15 reason phrases). */
const STATUS_LINES: Readonly<Record<number, string>> = {
  200: '200 OK',
  201: '201 Created',
  202: '202 Accepted',
  204: '204 No Content',
  304: '304 Not Modified',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  412: '412 Precondition Failed',
  413: '413 Content Too Large',
  414: '414 URI Too Long',
  415: '415 Unsupported Media Type',
  422: '422 Unprocessable Content',
  429: '429 Too Many Requests',
  431: '431 Request Header Fields Too Large',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

/**
 * A response answered after the route handler returned (the body arrives later, the queue answers
 * later, an outcome is awaited). uWebSockets.js requires `onAborted` before the handler returns and
 * forbids touching the response after it fired: every answer goes through `send`, which does nothing
 * once the client has gone, runs corked (one write, one syscall), and closes the connection when the
 * request body was not read to its end (the rest would otherwise be parsed as the next request).
 */
export class WriteResponse {
  private aborted = false;
  private answered = false;
  /** Called once if the client goes away first (e.g. to stop waiting for an outcome). */
  onGone: (() => void) | undefined;

  constructor(
    private readonly res: HttpResponse,
    private readonly metrics: FastMetrics,
    private readonly route: Route,
  ) {
    res.onAborted(() => {
      this.aborted = true;
      this.metrics.abortedRequests += 1;
      this.onGone?.();
    });
  }

  /** The client went away, or was answered: nothing more to do for this request. */
  get done(): boolean {
    return this.aborted || this.answered;
  }

  send(reply: Reply, closeConnection = false): void {
    if (this.done) return;
    this.answered = true;
    this.res.cork(() => writeReply(this.res, reply, closeConnection));
    this.metrics.request(this.route, reply.status);
  }
}

/** Writes a whole answer: status line, headers, the body (none for 204 and 304). */
export function writeReply(res: HttpResponse, reply: Reply, closeConnection: boolean): void {
  res.writeStatus(STATUS_LINES[reply.status] ?? `${reply.status} Status`);
  const bodiless = reply.status === 204 || reply.status === 304;
  if (!bodiless) res.writeHeader('Content-Type', reply.contentType ?? JSON_TYPE);
  if (reply.etag) res.writeHeader('ETag', reply.etag);
  if (reply.headers) for (const [name, value] of reply.headers) res.writeHeader(name, value);
  if (!bodiless) res.end(reply.body, closeConnection);
  else if (closeConnection) res.endWithoutBody(0, true);
  else res.endWithoutBody();
}
