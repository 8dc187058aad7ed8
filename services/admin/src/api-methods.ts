import type { RequestHandler } from 'express';

/**
 * The AdminJS API is read with GET and changed with POST, nothing else. Express hands a HEAD to the
 * GET route's handler, and AdminJS's actions tell a read from a change by `method === 'get'`: its
 * delete, bulk delete and edit actions took a HEAD for a change. HEAD is a safe method to the CSRF
 * check (same-origin.ts), so a cross-site `fetch(url, { method: 'HEAD', mode: 'no-cors' })` from
 * another port of the host deleted records. Refused here, before any action runs.
 */
export const readOrChangeOnly: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'POST') return next();
  res
    .status(405)
    .set('Allow', 'GET, POST')
    .json({
      error: 'method_not_allowed',
      message: `The admin API takes GET to read and POST to change, not ${req.method}.`,
    });
};
