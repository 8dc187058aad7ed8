import type { IncomingMessage } from 'node:http';

/**
 * The auth service's two browser cookies. Both httpOnly, SameSite=Lax (the authorization request is
 * a top-level navigation from the client's site, which Lax lets through with the cookie and Strict
 * would not, so `prompt=none` would never see the sign-in) and scoped to /oauth. On an https issuer
 * they are `Secure` and `__Host-`-less (a path other than / rules the prefix out) .
 */
export interface CookieNames {
  /** The sign-in (login_sessions): a random token whose SHA-256 is the row id. */
  readonly login: string;
  /** The CSRF cookie the login and consent forms' signed tokens are bound to. */
  readonly csrf: string;
}

export const COOKIE_NAMES: CookieNames = { login: 'tandem_login', csrf: 'tandem_csrf' };

/** One cookie's value from the request's Cookie header(s); undefined when absent or repeated. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  let found: string | undefined;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals < 0 || pair.slice(0, equals).trim() !== name) continue;
    // Two cookies of one name (one planted by a sibling subdomain): trust neither.
    if (found !== undefined) return undefined;
    found = pair.slice(equals + 1).trim();
  }
  return found !== undefined && /^[A-Za-z0-9_-]{1,128}$/.test(found) ? found : undefined;
}

/** A Set-Cookie value; `maxAgeSeconds` 0 deletes the cookie. */
export function cookieHeader(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${name}=${value}; Path=/oauth; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
