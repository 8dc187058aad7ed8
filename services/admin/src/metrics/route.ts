import type { Request, Response, Router } from 'express';
import { holds } from '../permissions.js';
import type { MetricsSampler } from './sampler.js';

/** Where the dashboard polls the live metrics, under the admin's root (after the staff login check). */
export const LIVE_METRICS_PATH = '/api/metrics';

/**
 * GET {root}/api/metrics: the last hour of the dashboard's plots and whether each service answers.
 * Staff with `view_metrics` (superusers) only: others get 403 `forbidden`. Read by the dashboard's
 * own script: a request another site's page starts (`Sec-Fetch-Site` other than same-origin, or none
 * for a typed URL) is 403 `csrf_failed`, so service addresses and rates do not leak to it.
 */
export function liveMetricsRoute(router: Router, sampler: MetricsSampler): void {
  router.get(LIVE_METRICS_PATH, (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      res
        .status(403)
        .json({ error: 'csrf_failed', message: `Refused a cross-site read: Sec-Fetch-Site is "${site}".` });
      return;
    }
    if (!holds(req.session.adminUser, 'view_metrics')) {
      res
        .status(403)
        .json({ error: 'forbidden', message: 'You do not have permission to view the live metrics.' });
      return;
    }
    res.json(sampler.snapshot());
  });
}
