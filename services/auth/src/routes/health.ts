import { sendJson } from '../send-json.js';
import type { GetRoute } from './get-route.js';
import type { AuthDeps } from '../deps.js';

/** GET /healthz: 200 when the database answers and a signing key is loaded, else 503. */
export function healthRoute(deps: AuthDeps): GetRoute {
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
    sendJson(
      res,
      ok ? 200 : 503,
      { 'Cache-Control': 'no-store' },
      { status: ok ? 'ok' : 'unavailable', checks },
    );
  };
}
