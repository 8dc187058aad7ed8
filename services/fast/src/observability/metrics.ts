import { RequestLatency } from './latency.js';
import { WriteOutcomeCounts } from './write-outcomes.js';

export type Route =
  | 'record'
  | 'list'
  | 'healthz'
  | 'metrics'
  | 'openapi'
  | 'live'
  /** POST, PATCH and DELETE of /v1 collections that declare writes (issue 15). */
  | 'write'
  | 'not_found'
  | 'method_not_allowed'
  | 'refused';

const ROUTES: readonly Route[] = [
  'record',
  'list',
  'healthz',
  'metrics',
  'openapi',
  'live',
  'write',
  'not_found',
  'method_not_allowed',
  'refused',
];

/**
 * Plain counters, rendered as Prometheus text on scrape: the request path only increments a number
 * (no label objects, no histogram work per request). One array per route indexed by status: the
 * nested Maps this replaces cost three hash lookups per request.
 */
export class FastMetrics {
  private readonly requests = new Map<Route, Float64Array>(ROUTES.map((r) => [r, new Float64Array(600)]));
  abortedRequests = 0;
  tokenFailures = 0;
  wsConnections = 0;
  wsMessages = 0;
  wsErrors = 0;
  /** Sampled durations of the routes wrapped with `latency.sampled` (the /v1 reads). */
  readonly latency = new RequestLatency();
  /** Write requests by how they ended at this node: accepted, replayed, or the refusal's code. */
  readonly writeOutcomes = new WriteOutcomeCounts();

  request(route: Route, status: number): void {
    // Statuses are three-digit HTTP codes (RFC 9110 §15), so always within the array.
    this.requests.get(route)![status]! += 1;
  }

  requestCount(route: Route, status: number): number {
    return this.requests.get(route)?.[status] ?? 0;
  }

  *requestSamples(): Iterable<[Route, number, number]> {
    for (const [route, byStatus] of this.requests)
      for (let status = 0; status < byStatus.length; status++)
        if (byStatus[status]! > 0) yield [route, status, byStatus[status]!];
  }
}
