import { METRICS_REFUSAL, MetricsAccess } from '@tandem/service';
import type { GetRoute } from './get-route.js';
import type { AuthDeps } from '../deps.js';
import { NO_STORE } from '../oauth-error.js';
import { sendJson } from '../send-json.js';

/** GET /metrics: Prometheus text format; with METRICS_TOKEN set, only for `Bearer <METRICS_TOKEN>`. */
export function metricsRoute(deps: AuthDeps): GetRoute {
  const access = new MetricsAccess(deps.config.metricsToken);
  return async (req, res) => {
    if (!access.allows(req.headers.authorization)) {
      sendJson(
        res,
        401,
        { ...NO_STORE, 'WWW-Authenticate': METRICS_REFUSAL.challenge },
        { error: METRICS_REFUSAL.error, error_description: METRICS_REFUSAL.message },
      );
      return;
    }
    const text = await deps.metrics.registry.metrics();
    res.writeHead(200, {
      'Content-Type': deps.metrics.registry.contentType,
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };
}
