import type { Request, RequestHandler } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether `origin` is the admin's own: the same host and port as the request's Host header. The
 * scheme is not compared: the admin speaks plain HTTP behind a TLS-terminating proxy (req.protocol is
 * "http" there), and a page of another scheme on the very same host and port would be the admin itself.
 */
function isOwnOrigin(req: Request, origin: string): boolean {
  if (!URL.canParse(origin)) return false; // "null" (sandboxed frames, file: pages)
  return new URL(origin).host === req.get('host');
}

/** Why a state-changing request looks cross-site; undefined when it does not. */
export function crossSiteProblem(req: Request): string | undefined {
  if (SAFE_METHODS.has(req.method)) return undefined;
  const site = req.get('sec-fetch-site');
  // Browsers that send Fetch Metadata say exactly where the request comes from. "same-site" is not
  // enough: another port or subdomain of the same host is same-site but a different origin.
  if (site !== undefined)
    return site === 'same-origin' ? undefined : `Sec-Fetch-Site is "${site}", not "same-origin".`;
  const origin = req.get('origin');
  if (origin !== undefined)
    return isOwnOrigin(req, origin) ? undefined : `Origin ${origin} is not this admin (${req.get('host')}).`;
  // Neither header: not a browser (every browser that can be made to post cross-site sends Origin on
  // a cross-origin POST), e.g. curl or a script with the staff member's own session cookie. A forged
  // cross-site request cannot come without them, so these pass.
  return undefined;
}

/**
 * CSRF protection for every POST/PUT/PATCH/DELETE under /admin (login, logout, the AdminJS API):
 * the session cookie's SameSite=Lax alone lets a page on another port of the same host post forms.
 * AdminJS's front end has no CSRF token, so the check is on the browser's Fetch Metadata / Origin.
 */
export const sameOriginWrites: RequestHandler = (req, res, next) => {
  const problem = crossSiteProblem(req);
  if (problem === undefined) return next();
  res.status(403).json({
    error: 'csrf_failed',
    message: `Refused a cross-site ${req.method} request: ${problem}`,
  });
};
