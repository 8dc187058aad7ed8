import type { RequestHandler } from 'express';
import type { AuthDeps } from '../deps.js';

/** GET /healthz: 200 when the database answers and a signing key is loaded, else 503. */
export function healthRoute(deps: AuthDeps): RequestHandler {
  return async (_req, res) => {
    const checks = { database: false, signingKey: false };
    try {
      await deps.orm.em.getConnection().execute('select 1');
      checks.database = true;
    } catch {
      // reported below
    }
    try {
      deps.keys.signingKey();
      checks.signingKey = true;
    } catch {
      // reported below
    }
    const ok = checks.database && checks.signingKey;
    res
      .status(ok ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ok ? 'ok' : 'unavailable', checks });
  };
}
