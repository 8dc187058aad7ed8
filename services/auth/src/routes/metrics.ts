import type { GetRoute } from './get-route.js';
import type { AuthDeps } from '../deps.js';

/** GET /metrics: Prometheus text format. */
export function metricsRoute(deps: AuthDeps): GetRoute {
  return async (_req, res) => {
    const text = await deps.metrics.registry.metrics();
    res.writeHead(200, {
      'Content-Type': deps.metrics.registry.contentType,
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };
}
