import { ApiError } from './errors.js';

/**
 * Requests that carry credentials in their body (a password, a client secret, a refresh token) go to
 * the auth service and nowhere else. fetch follows a 307 or 308 to any origin with the same method and
 * body (it drops only the Authorization header), so a redirect (a proxy's, a misconfigured authUrl's,
 * an attacker's) would hand them over. These requests never follow one: `redirect: 'manual'`, and the
 * answer becomes an error.
 */
export const NO_REDIRECTS = { redirect: 'manual' } as const satisfies RequestInit;

/**
 * Throws for a redirect answer: a 3xx on Node, or the opaque status-0 answer a browser gives for one
 * (its Location is hidden from scripts there). `endpoint` names the request for the message.
 */
export function refuseRedirect(response: Response, endpoint: string): void {
  const redirected = response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400);
  if (!redirected) return;
  throw new ApiError(
    response.status,
    'redirect_refused',
    `The ${endpoint} answered with a redirect (${response.status || 'opaque'}); it was not followed, ` +
      'so the credentials it carries were not sent elsewhere. Give the auth service its own URL as authUrl.',
  );
}
