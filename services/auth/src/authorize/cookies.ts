import type { IncomingMessage } from 'node:http';

/**
 * The auth service's two browser cookies: the sign-in and the CSRF cookie its forms' tokens are
 * bound to. Both httpOnly and SameSite=Lax (the authorization request is a top-level navigation from
 * the client's site, which Lax lets through with the cookie and Strict would not, so `prompt=none`
 * would never see the sign-in).
 *
 * On an https issuer they are `__Host-` cookies: `Secure`, `Path=/` and no `Domain`, which is the only
 * form a browser refuses to accept from a sibling subdomain. Without the prefix, a page on
 * evil.example.com could plant its own account's sign-in with `Domain=example.com` in a browser that
 * has none, and apps would get codes for the attacker's account (login CSRF); SameSite does not help,
 * a sibling subdomain is the same site. The price of the prefix is `Path=/`: the cookies also go to
 * any other path of the auth host. On a plain-http issuer (development; the prefix needs `Secure`) they
 * keep their plain names and `Path=/oauth`, so that services on other ports of localhost, which share
 * its cookies, do not receive them.
 */
export class BrowserCookies {
  /** The sign-in (login_sessions): a random token whose SHA-256 is the row id. */
  readonly login: string;
  /** The CSRF cookie the login, consent and logout forms' signed tokens are bound to. */
  readonly csrf: string;
  private readonly attributes: string;

  constructor(issuer: string) {
    const secure = issuer.startsWith('https:');
    const prefix = secure ? '__Host-' : '';
    this.login = `${prefix}tandem_login`;
    this.csrf = `${prefix}tandem_csrf`;
    this.attributes = secure
      ? 'Path=/; HttpOnly; SameSite=Lax; Secure'
      : 'Path=/oauth; HttpOnly; SameSite=Lax';
  }

  /** A Set-Cookie value; `maxAgeSeconds` 0 deletes the cookie. */
  header(name: string, value: string, maxAgeSeconds: number): string {
    return `${name}=${value}; Max-Age=${maxAgeSeconds}; ${this.attributes}`;
  }

  /** The Set-Cookie value that deletes a cookie. */
  clear(name: string): string {
    return this.header(name, '', 0);
  }

  /** One cookie's value from the request's Cookie header(s); undefined when absent or repeated. */
  read(req: IncomingMessage, name: string): string | undefined {
    const header = req.headers.cookie;
    if (header === undefined) return undefined;
    let found: string | undefined;
    for (const pair of header.split(';')) {
      const equals = pair.indexOf('=');
      if (equals < 0 || pair.slice(0, equals).trim() !== name) continue;
      // Two cookies of one name (one planted by a sibling subdomain over plain http): trust neither.
      if (found !== undefined) return undefined;
      found = pair.slice(equals + 1).trim();
    }
    return found !== undefined && /^[A-Za-z0-9_-]{1,128}$/.test(found) ? found : undefined;
  }
}
