export type Route =
  'record' | 'list' | 'healthz' | 'metrics' | 'live' | 'not_found' | 'method_not_allowed' | 'refused';

/**
 * Plain counters, rendered as Prometheus text on scrape: the request path only increments a number
 * in a Map (no label objects, no histogram work per request).
 */
export class FastMetrics {
  private readonly requests = new Map<Route, Map<number, number>>();
  abortedRequests = 0;
  tokenFailures = 0;
  wsConnections = 0;
  wsMessages = 0;
  wsErrors = 0;

  request(route: Route, status: number): void {
    let byStatus = this.requests.get(route);
    if (!byStatus) this.requests.set(route, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  requestCount(route: Route, status: number): number {
    return this.requests.get(route)?.get(status) ?? 0;
  }

  *requestSamples(): Iterable<[Route, number, number]> {
    for (const [route, byStatus] of this.requests)
      for (const [status, count] of byStatus) yield [route, status, count];
  }
}
