import type { Request, RequestHandler } from 'express';
import { crossSiteProblem as sharedCrossSiteProblem } from '@tandem/accounts';

/** Why a state-changing request looks cross-site (the check lives in @tandem/accounts, shared with auth's login page). */
export function crossSiteProblem(req: Request): string | undefined {
  return sharedCrossSiteProblem({
    method: req.method,
    host: req.get('host'),
    secFetchSite: req.get('sec-fetch-site'),
    origin: req.get('origin'),
  });
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
