import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { endWithoutBody, withEnding } from './response-ending.js';

/** Origins allowed to read fast's answers from a browser (AllowedOrigins from @tandem/tokens). */
export interface OriginList {
  has(origin: string): boolean;
}

const ALLOW_ORIGIN = Buffer.from('Access-Control-Allow-Origin');
const EXPOSE = Buffer.from('Access-Control-Expose-Headers');
const EXPOSED = Buffer.from(
  'ETag, WWW-Authenticate, Retry-After, Location, Preference-Applied, Idempotent-Replayed',
);
/**
 * What a page may send: the reads (GET, and HEAD, the GET without its body) and the writes of
 * collections that declare them (issue 15).
 */
const METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'];
const ALLOWED_HEADERS = 'Authorization, If-None-Match, Content-Type, Idempotency-Key, If-Match, Prefer';
const VARY = Buffer.from('Vary');
const ORIGIN = Buffer.from('Origin');

/**
 * CORS for the /v1 reads: a page of an allowed origin (a client's registered origin, or
 * CORS_ALLOWED_ORIGINS) may read the answers, its Authorization header included in the preflight.
 * The origin is echoed by name, never `*`, and credentials (cookies) are never allowed: fast takes
 * bearer tokens only. Kept off the hot path: requests without an Origin header (servers, the
 * benchmarks) never come here; the header walk that already visits every header picks Origin up.
 */
export class FastCors {
  constructor(private readonly origins: OriginList) {}

  /**
   * The response of a request from `origin`, adding the CORS headers just before it ends (after the
   * status line, which uWebSockets.js must see first). Only the methods `send` and `whenVerified` use.
   */
  respondingTo(res: HttpResponse, origin: string): HttpResponse {
    const allowed = this.origins.has(origin);
    const addHeaders = () => {
      res.writeHeader(VARY, ORIGIN);
      if (!allowed) return;
      res.writeHeader(ALLOW_ORIGIN, origin);
      res.writeHeader(EXPOSE, EXPOSED);
    };
    return withEnding(res, {
      end: (body, closeConnection) => {
        addHeaders();
        res.end(body, closeConnection);
      },
      endWithoutBody: (length, closeConnection) => {
        addHeaders();
        endWithoutBody(res, length, closeConnection);
      },
    });
  }

  /**
   * OPTIONS (a preflight): 204 saying the reads and writes may be sent with their headers, or 403 for
   * another origin. The route itself still answers 405 where a collection takes no writes.
   */
  preflight(res: HttpResponse, req: HttpRequest): void {
    const origin = req.getHeader('origin');
    const method = req.getHeader('access-control-request-method');
    if (origin === '' || !this.origins.has(origin) || (method !== '' && !METHODS.includes(method))) {
      res
        .writeStatus('403 Forbidden')
        .writeHeader('Content-Type', 'application/json')
        .writeHeader(VARY, ORIGIN);
      res.end(
        JSON.stringify({
          error: 'cors_refused',
          message:
            'This origin may not call the fast service from a browser (register it on the client or in CORS_ALLOWED_ORIGINS).',
        }),
      );
      return;
    }
    res
      .writeStatus('204 No Content')
      .writeHeader(ALLOW_ORIGIN, origin)
      .writeHeader('Access-Control-Allow-Methods', METHODS.join(', '))
      .writeHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS)
      .writeHeader('Access-Control-Max-Age', '600')
      .writeHeader(VARY, 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers')
      .endWithoutBody();
  }
}
