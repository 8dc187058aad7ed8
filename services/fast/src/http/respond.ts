import type { HttpResponse } from 'uWebSockets.js';
import type { FastMetrics, Route } from '../observability/metrics.js';

/** Status lines (RFC 9110 §15 reason phrases) of every answer the service gives. */
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

export const JSON_TYPE = 'application/json';

// Header names and values handed to uWebSockets.js as bytes: a JS string is converted to UTF-8 into
// a fresh heap allocation on every writeHeader call, a Buffer is passed by pointer.
const CONTENT_TYPE = Buffer.from('Content-Type');
const JSON_TYPE_BYTES = Buffer.from(JSON_TYPE);
const ETAG = Buffer.from('ETag');
/**
 * A JSON answer with an ETag (every record GET) writes both header lines in one native call: uWS
 * writes `name: value\r\n` as given, so this name carries the Content-Type line before it. Only our
 * own constant and a prepared entity tag (quoted base64url) are ever written this way, never input.
 */
const JSON_TYPE_THEN_ETAG = Buffer.from(`Content-Type: ${JSON_TYPE}\r\nETag`);

/** A JSON error body: machine-readable `error`, human `message`. Never a stack trace. */
export function errorBody(error: string, message: string): string {
  return JSON.stringify({ error, message });
}

export interface Reply {
  readonly status: number;
  readonly body: string | Uint8Array;
  readonly headers?: readonly (readonly [string, string])[];
  readonly contentType?: string;
  /** The ETag header's value (a quoted entity tag), as prepared with the record. */
  readonly etag?: Uint8Array;
}

/**
 * Writes a whole response: status line, headers, the body (none for 204 and 304). Callers after an
 * `await` go through LateReply (http/late-reply.ts), which corks it and skips it once the client has
 * gone. `closeConnection`: the request's body was not read to its end, so the connection must close
 * (the rest would otherwise be parsed as the next request).
 */
export function send(
  res: HttpResponse,
  metrics: FastMetrics,
  route: Route,
  reply: Reply,
  closeConnection = false,
): void {
  metrics.request(route, reply.status);
  const { status, etag } = reply;
  // 200 is uWS's default status line: one native call fewer on the hot path.
  if (status !== 200) res.writeStatus(STATUS_LINES[status] ?? `${status} Status`);
  const bodiless = status === 304 || status === 204;
  if (bodiless) {
    if (etag) res.writeHeader(ETAG, etag);
  } else if (etag && reply.contentType === undefined) res.writeHeader(JSON_TYPE_THEN_ETAG, etag);
  else {
    res.writeHeader(CONTENT_TYPE, reply.contentType ?? JSON_TYPE_BYTES);
    if (etag) res.writeHeader(ETAG, etag);
  }
  if (reply.headers) for (const [name, value] of reply.headers) res.writeHeader(name, value);
  if (!bodiless) {
    if (closeConnection) res.end(reply.body, true);
    else res.end(reply.body);
  } else if (closeConnection) res.endWithoutBody(0, true);
  else res.endWithoutBody();
}

export function jsonError(status: number, error: string, message: string, headers?: Reply['headers']): Reply {
  return { status, body: errorBody(error, message), headers };
}
