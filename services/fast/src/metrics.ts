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

export interface MetricFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly samples: readonly (readonly [
    labels: Readonly<Record<string, string>> | undefined,
    value: number,
  ])[];
}

const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const [labels, value] of f.samples) {
      const rendered = labels
        ? `{${Object.entries(labels)
            .map(([k, v]) => `${k}="${escape(v)}"`)
            .join(',')}}`
        : '';
      lines.push(`${f.name}${rendered} ${Number.isFinite(value) ? value : 0}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
