import type { Reply } from '../http/respond.js';
import type { ObservedParts } from './parts.js';
import { renderPrometheus, type MetricFamily } from './prometheus.js';

/** GET /metrics: everything below is read at scrape time; requests only bump counters (metrics.ts). */
export function metricsReply(parts: ObservedParts): Reply {
  return {
    status: 200,
    body: renderPrometheus(metricFamilies(parts)),
    contentType: 'text/plain; version=0.0.4',
  };
}

function metricFamilies({
  store,
  feed,
  jwks,
  verifier,
  metrics,
  live,
  revoked,
}: ObservedParts): MetricFamily[] {
  const status = feed.status();
  const n = (value: boolean) => (value ? 1 : 0);
  return [
    {
      name: 'tandem_fast_requests_total',
      type: 'counter',
      help: 'HTTP requests by route and status.',
      samples: [...metrics.requestSamples()].map(
        ([route, code, count]) => [{ route, status: String(code) }, count] as const,
      ),
    },
    {
      name: 'tandem_fast_aborted_requests_total',
      type: 'counter',
      help: 'Requests the client aborted before the answer.',
      samples: [[undefined, metrics.abortedRequests]],
    },
    {
      name: 'tandem_fast_token_cache_hits_total',
      type: 'counter',
      help: 'Requests answered from the verified-token cache.',
      samples: [[undefined, verifier.cache.hits]],
    },
    {
      name: 'tandem_fast_token_cache_misses_total',
      type: 'counter',
      help: 'Tokens that needed a signature check.',
      samples: [[undefined, verifier.cache.misses]],
    },
    {
      name: 'tandem_fast_token_cache_entries',
      type: 'gauge',
      help: 'Verified tokens cached.',
      samples: [[undefined, verifier.cache.size]],
    },
    {
      name: 'tandem_fast_token_failures_total',
      type: 'counter',
      help: 'Requests refused with 401.',
      samples: [[undefined, metrics.tokenFailures]],
    },
    {
      name: 'tandem_fast_jwks_fetches_total',
      type: 'counter',
      help: 'JWKS fetches from the issuer.',
      samples: [[undefined, jwks.stats.fetches]],
    },
    {
      name: 'tandem_fast_jwks_fetch_failures_total',
      type: 'counter',
      help: 'JWKS fetches that failed.',
      samples: [[undefined, jwks.stats.failures]],
    },
    {
      name: 'tandem_fast_jwks_refetch_refused_total',
      type: 'counter',
      help: 'Unknown-kid refetches refused by the rate bound.',
      samples: [[undefined, jwks.stats.refused]],
    },
    {
      name: 'tandem_fast_revoked_sessions',
      type: 'gauge',
      help: 'Revoked sessions known to this node.',
      samples: [[undefined, revoked.size]],
    },
    {
      name: 'tandem_fast_feed_ready',
      type: 'gauge',
      help: '1 once the snapshot is loaded.',
      samples: [[undefined, n(status.ready)]],
    },
    {
      name: 'tandem_fast_feed_connected',
      type: 'gauge',
      help: '1 while the change feed is connected.',
      samples: [[undefined, n(status.connected)]],
    },
    {
      name: 'tandem_fast_feed_stale',
      type: 'gauge',
      help: '1 when served data may be stale.',
      samples: [[undefined, n(status.stale)]],
    },
    {
      name: 'tandem_fast_feed_lag_events',
      type: 'gauge',
      help: 'Committed changes not applied yet.',
      samples: [[undefined, status.lagEvents]],
    },
    {
      name: 'tandem_fast_feed_lag_ms',
      type: 'gauge',
      help: 'Age of the oldest unapplied change (time since last read while disconnected).',
      samples: [[undefined, status.lagMs]],
    },
    {
      name: 'tandem_fast_feed_events_applied_total',
      type: 'counter',
      help: 'Outbox events applied.',
      samples: [[undefined, status.eventsApplied]],
    },
    {
      name: 'tandem_fast_feed_snapshots_total',
      type: 'counter',
      help: 'Snapshots loaded (1 + reloads).',
      samples: [[undefined, status.snapshots]],
    },
    {
      name: 'tandem_fast_feed_reconnects_total',
      type: 'counter',
      help: 'Database reconnections of the feed.',
      samples: [[undefined, status.reconnects]],
    },
    {
      name: 'tandem_fast_records',
      type: 'gauge',
      help: 'Records per hot collection.',
      samples: [...store.collections].map(([collection, c]) => [{ collection }, c.size] as const),
    },
    {
      name: 'tandem_fast_ws_connections',
      type: 'gauge',
      help: 'Open WebSocket connections.',
      samples: [[undefined, live.connections]],
    },
    {
      name: 'tandem_fast_ws_messages_total',
      type: 'counter',
      help: 'WebSocket messages received.',
      samples: [[undefined, metrics.wsMessages]],
    },
    {
      name: 'tandem_fast_ws_errors_total',
      type: 'counter',
      help: 'Error frames sent.',
      samples: [[undefined, metrics.wsErrors]],
    },
  ];
}
