import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { crossSiteProblem } from '@tandem/accounts';
import { deriveKey } from '@tandem/tokens';
import type { BrowserCookies } from './cookies.js';

const CSRF_COOKIE_SECONDS = 60 * 60 * 12;

/**
 * CSRF defence of the login, consent and logout forms, three layers deep: the cookies are SameSite
 * (a cross-site post carries none), the browser's Fetch Metadata / Origin must say the post comes
 * from this service (the admin's check, shared in @tandem/accounts), and every form carries a token
 * that is an HMAC of the browser's CSRF cookie (a signed double-submit token: a page on a sibling
 * subdomain that plants a cookie cannot compute a token for it without the key; it could plant a
 * cookie whose token it fetched for itself, which is why the Fetch Metadata / Origin layer refuses
 * `same-site` posts, not only `cross-site` ones).
 */
export class CsrfGuard {
  private readonly key: Buffer;

  constructor(
    secretKey: string,
    private readonly cookies: BrowserCookies,
  ) {
    this.key = deriveKey(secretKey, 'login-csrf');
  }

  private tokenFor(cookie: string): string {
    return createHmac('sha256', this.key).update(cookie).digest('base64url');
  }

  /** The form token for this browser, and the Set-Cookie to send when it had no CSRF cookie yet. */
  formToken(req: IncomingMessage): { token: string; setCookie: string | undefined } {
    const existing = this.cookies.read(req, this.cookies.csrf);
    return existing === undefined
      ? this.renewedToken()
      : { token: this.tokenFor(existing), setCookie: undefined };
  }

  /**
   * A new CSRF cookie and its form token, whatever the browser had: at sign-in, so that no token
   * handed out before it (to whoever used the browser then) is valid after it.
   */
  renewedToken(): { token: string; setCookie: string } {
    const cookie = randomBytes(24).toString('base64url');
    return {
      token: this.tokenFor(cookie),
      setCookie: this.cookies.header(this.cookies.csrf, cookie, CSRF_COOKIE_SECONDS),
    };
  }

  /** The Set-Cookie that deletes the CSRF cookie (at logout: the next person gets a new one). */
  clearCookie(): string {
    return this.cookies.clear(this.cookies.csrf);
  }

  /** Why this form post is refused as a cross-site request, or undefined when it passes. */
  problem(req: IncomingMessage, presented: string | undefined): string | undefined {
    const site = crossSiteProblem({
      method: req.method ?? 'GET',
      host: req.headers.host,
      secFetchSite: header(req, 'sec-fetch-site'),
      origin: header(req, 'origin'),
    });
    if (site !== undefined) return site;
    const cookie = this.cookies.read(req, this.cookies.csrf);
    if (cookie === undefined || presented === undefined) return 'The form has no valid CSRF token.';
    const expected = Buffer.from(this.tokenFor(cookie));
    const given = Buffer.from(presented);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return 'The form has no valid CSRF token.';
    return undefined;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
