import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Orm } from '@tandem/models';
import { AllowedOrigins } from '@tandem/tokens';
import { sendJson } from './send-json.js';

/**
 * Who may read an endpoint's answers from a page of another origin (CORS):
 * - `public`: anyone (`*`): the JWKS and discovery document, which are public and carry no cookie.
 * - `clients`: the origins registered on an active client or listed in CORS_ALLOWED_ORIGINS, echoed
 *   back by name with `Vary: Origin`. Credentials (cookies) are never allowed: these endpoints take
 *   tokens and client credentials in headers or the body, and `*` is never sent with credentials.
 * The login page and logout are navigations, not fetches: they get no CORS headers at all.
 */
export type CorsMode = 'public' | 'clients';

const ALLOWED_HEADERS = 'Authorization, Content-Type';
const PREFLIGHT_MAX_AGE = '600';

export class CorsPolicy {
  readonly origins: AllowedOrigins;

  constructor(orm: Orm, fixed: readonly string[]) {
    this.origins = new AllowedOrigins(orm, fixed);
  }

  private allowOrigin(mode: CorsMode, origin: string): string | undefined {
    if (mode === 'public') return '*';
    return this.origins.has(origin) ? origin : undefined;
  }

  /** Adds the CORS answer headers to a response to a request from `origin`. */
  apply(res: ServerResponse, mode: CorsMode, origin: string): void {
    const allowed = this.allowOrigin(mode, origin);
    if (mode === 'clients') res.setHeader('Vary', 'Origin');
    if (allowed === undefined) return;
    res.setHeader('Access-Control-Allow-Origin', allowed);
    res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate, Retry-After');
  }

  /** Answers a preflight (OPTIONS with Origin): 204 with what may be sent, or 403 for another origin. */
  preflight(
    req: IncomingMessage,
    res: ServerResponse,
    mode: CorsMode,
    origin: string,
    methods: string,
  ): void {
    const allowed = this.allowOrigin(mode, origin);
    const asked = req.headers['access-control-request-method'];
    if (allowed === undefined || (asked !== undefined && !methods.split(', ').includes(asked))) {
      return sendJson(
        res,
        403,
        { Vary: 'Origin' },
        {
          error: 'cors_refused',
          error_description: `Origin ${origin.slice(0, 100)} may not call this endpoint from a browser (register it on the client or in CORS_ALLOWED_ORIGINS).`,
        },
      );
    }
    res.writeHead(204, {
      'Access-Control-Allow-Origin': allowed,
      'Access-Control-Allow-Methods': methods,
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': PREFLIGHT_MAX_AGE,
      Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    });
    res.end();
  }
}
