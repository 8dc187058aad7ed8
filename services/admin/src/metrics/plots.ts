/**
 * The live dashboard's plots: which service each reads, and how (readings.ts). Fast's request counter
 * is labelled by route and status, its write counter by outcome (accepted, replayed, or the refusal's
 * code: services/fast/src/observability/write-outcomes.ts); auth's by grant type and reason. The p99
 * latencies come from histograms: fast's of its /v1 reads (one read in 64 is timed,
 * services/fast/src/observability/latency.ts) and auth's of its token endpoint.
 */
import { counterRate, gauge, histogramP99Ms, type Read } from './readings.js';

export type ServiceName = 'fast' | 'auth';

export interface PlotSpec {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly service: ServiceName;
  readonly read: Read;
  /** Series shown even before they have data, in this order (others follow, sorted). */
  readonly series?: readonly string[];
}

const statusClass = (labels: Readonly<Record<string, string>>) =>
  /^[1-5]\d\d$/.test(labels.status ?? '') ? `${labels.status![0]}xx` : undefined;

export const PLOTS: readonly PlotSpec[] = [
  {
    id: 'fast_requests',
    title: 'fast: requests per second by status',
    unit: 'req/s',
    service: 'fast',
    read: counterRate('tandem_fast_requests_total', statusClass),
    series: ['2xx', '4xx', '5xx'],
  },
  {
    id: 'fast_read_p99',
    title: 'fast: p99 latency of /v1 reads (sampled)',
    unit: 'ms',
    service: 'fast',
    read: histogramP99Ms('tandem_fast_request_duration_seconds', 'p99'),
  },
  {
    id: 'fast_feed_lag_events',
    title: 'fast: change feed lag (events not applied yet)',
    unit: 'events',
    service: 'fast',
    read: gauge('tandem_fast_feed_lag_events', 'events'),
  },
  {
    id: 'fast_feed_lag_ms',
    title: 'fast: change feed lag (age of the oldest unapplied change)',
    unit: 'ms',
    service: 'fast',
    read: gauge('tandem_fast_feed_lag_ms', 'ms'),
  },
  {
    id: 'fast_ws_connections',
    title: 'fast: open WebSocket connections',
    unit: 'connections',
    service: 'fast',
    read: gauge('tandem_fast_ws_connections', 'connections'),
  },
  {
    // The queue is shared by every fast node (issue 15): its depth is the same whichever node is read.
    id: 'fast_write_queue_depth',
    title: 'fast: write queue depth (accepted, not applied yet)',
    unit: 'writes',
    service: 'fast',
    read: gauge('tandem_fast_write_queue_depth', 'depth'),
  },
  {
    id: 'fast_writes',
    title: 'fast: writes per second by outcome',
    unit: 'writes/s',
    service: 'fast',
    read: counterRate('tandem_fast_writes_total', (labels) => labels.outcome),
    series: ['accepted', 'replayed'],
  },
  {
    id: 'auth_token_p99',
    title: 'auth: p99 token request latency',
    unit: 'ms',
    service: 'auth',
    read: histogramP99Ms('tandem_auth_token_request_duration_seconds', 'p99'),
  },
  {
    id: 'auth_tokens_issued',
    title: 'auth: tokens issued per second by grant',
    unit: 'tokens/s',
    service: 'auth',
    read: counterRate('tandem_auth_tokens_issued_total', (labels) => labels.grant_type),
  },
  {
    id: 'auth_tokens_refused',
    title: 'auth: token requests refused per second by grant',
    unit: 'req/s',
    service: 'auth',
    read: counterRate('tandem_auth_token_failures_total', (labels) =>
      labels.endpoint === 'token' ? labels.grant_type : undefined,
    ),
  },
  {
    id: 'auth_login_failures',
    title: 'auth: sign-in failures per second',
    unit: 'failures/s',
    service: 'auth',
    read: counterRate('tandem_auth_login_failures_total', (labels) => labels.reason),
    series: ['bad_credentials', 'throttled'],
  },
];
