import type { RequestHandler } from 'express';
import type { AuthDeps } from '../deps.js';

/** GET /metrics: Prometheus text format. */
export function metricsRoute(deps: AuthDeps): RequestHandler {
  return async (_req, res) => {
    res
      .status(200)
      .set('Content-Type', deps.metrics.registry.contentType)
      .send(await deps.metrics.registry.metrics());
  };
}
