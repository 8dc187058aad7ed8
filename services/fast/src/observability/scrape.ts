import type { HttpResponse } from 'uWebSockets.js';
import { METRICS_REFUSAL } from '@tandem/service';
import { LateReply } from '../http/late-reply.js';
import { jsonError, send, type Reply } from '../http/respond.js';
import type { ObservedParts } from './parts.js';
import type { RequestLatency } from './latency.js';
import { renderPrometheus, type MetricFamily } from './prometheus.js';
import type { WriteOutcomeCounts } from './write-outcomes.js';

/**
 * How long a scrape waits for the write queue's depth: an unreachable Redis must not hold /metrics
 * (the admin's scraper gives up after 4 s). Without an answer the depth is left out, not reported as 0.
 */
export const QUEUE_DEPTH_TIMEOUT_MS = 1000;

/**
 * GET /metrics: everything is read at scrape time; requests only bump counters (metrics.ts). The write
 * queue's depth is asked here, once per scrape (WriteQueue.depth(): the table queue's count is at most
 * 100 ms old, the Redis queue's the streams' lengths), never per request.
 */
export function serveMetrics(res: HttpResponse, authorization: string, parts: ObservedParts): void {
  // uWebSockets.js reads an absent header as '', which allows() treats as no header.
  if (!parts.metricsAccess.allows(authorization)) {
    send(res, parts.metrics, 'metrics', metricsRefusal);
    return;
  }
  const late = new LateReply(res, parts.metrics, 'metrics');
  void queueDepth(parts.writeQueue).then((depth) => late.send(metricsReply(parts, depth)));
}

const metricsRefusal = jsonError(401, METRICS_REFUSAL.error, METRICS_REFUSAL.message, [
  ['WWW-Authenticate', METRICS_REFUSAL.challenge],
]);

function metricsReply(parts: ObservedParts, queueDepth: number | undefined): Reply {
  return {
    status: 200,
    body: renderPrometheus(metricFamilies(parts, queueDepth)),
    contentType: 'text/plain; version=0.0.4',
  };
}

/** The queue's depth, or undefined when it does not answer in time (or fails). Never rejects. */
function queueDepth(queue: ObservedParts['writeQueue']): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, QUEUE_DEPTH_TIMEOUT_MS, undefined);
  });
  const depth = queue.depth().then(
    (value) => value,
    () => undefined,
  );
  return Promise.race([depth, timeout]).finally(() => clearTimeout(timer));
}

/** Families of one unlabelled sample: most of what a node reports. */
const single =
  (type: MetricFamily['type']) =>
  (name: string, help: string, value: number): MetricFamily => ({
    name,
    type,
    help,
    samples: [[undefined, value]],
  });
const counter = single('counter');
const gauge = single('gauge');

/** The sampled request durations as one histogram, labelled by route (latency.ts). */
function latencyFamily(latency: RequestLatency): MetricFamily {
  const samples: MetricFamily['samples'][number][] = [];
  for (const [route, histogram] of latency.byRoute) {
    for (const [le, count] of histogram.cumulative()) samples.push([{ route, le }, count, '_bucket']);
    samples.push([{ route }, histogram.sumSeconds, '_sum'], [{ route }, histogram.count, '_count']);
  }
  return {
    name: 'tandem_fast_request_duration_seconds',
    type: 'histogram',
    help: `Duration of /v1 reads, from handler to answer sent; one request in ${latency.sampleEvery} is timed.`,
    samples,
  };
}

/** Write requests by how they ended here (write-outcomes.ts). */
function writesFamily(outcomes: WriteOutcomeCounts): MetricFamily {
  return {
    name: 'tandem_fast_writes_total',
    type: 'counter',
    help: 'Write requests (POST, PATCH, DELETE of /v1) by outcome: accepted, replayed, or the refusal code.',
    samples: [...outcomes.samples()].map(([outcome, count]) => [{ outcome }, count] as const),
  };
}

function metricFamilies(
  { store, feed, jwks, verifier, metrics, live, revoked }: ObservedParts,
  queueDepth: number | undefined,
): MetricFamily[] {
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
    latencyFamily(metrics.latency),
    counter(
      'tandem_fast_aborted_requests_total',
      'Requests the client aborted before the answer.',
      metrics.abortedRequests,
    ),
    counter(
      'tandem_fast_token_cache_hits_total',
      'Requests answered from the verified-token cache.',
      verifier.cache.hits,
    ),
    counter(
      'tandem_fast_token_cache_misses_total',
      'Tokens that needed a signature check.',
      verifier.cache.misses,
    ),
    gauge('tandem_fast_token_cache_entries', 'Verified tokens cached.', verifier.cache.size),
    counter('tandem_fast_token_failures_total', 'Requests refused with 401.', metrics.tokenFailures),
    counter('tandem_fast_jwks_fetches_total', 'JWKS fetches from the issuer.', jwks.stats.fetches),
    counter('tandem_fast_jwks_fetch_failures_total', 'JWKS fetches that failed.', jwks.stats.failures),
    counter(
      'tandem_fast_jwks_refetch_refused_total',
      'Unknown-kid refetches refused by the rate bound.',
      jwks.stats.refused,
    ),
    gauge('tandem_fast_revoked_sessions', 'Revoked sessions known to this node.', revoked.size),
    gauge('tandem_fast_feed_ready', '1 once the snapshot is loaded.', n(status.ready)),
    gauge('tandem_fast_feed_connected', '1 while the change feed is connected.', n(status.connected)),
    gauge('tandem_fast_feed_stale', '1 when served data may be stale.', n(status.stale)),
    gauge('tandem_fast_feed_lag_events', 'Committed changes not applied yet.', status.lagEvents),
    gauge(
      'tandem_fast_feed_lag_ms',
      'Age of the oldest unapplied change (time since last read while disconnected).',
      status.lagMs,
    ),
    counter('tandem_fast_feed_events_applied_total', 'Outbox events applied.', status.eventsApplied),
    counter('tandem_fast_feed_snapshots_total', 'Snapshots loaded (1 + reloads).', status.snapshots),
    counter('tandem_fast_feed_reconnects_total', 'Database reconnections of the feed.', status.reconnects),
    {
      name: 'tandem_fast_records',
      type: 'gauge',
      help: 'Records per hot collection.',
      samples: [...store.collections].map(([collection, c]) => [{ collection }, c.size] as const),
    },
    gauge('tandem_fast_ws_connections', 'Open WebSocket connections.', live.connections),
    counter('tandem_fast_ws_messages_total', 'WebSocket messages received.', metrics.wsMessages),
    counter('tandem_fast_ws_errors_total', 'Error frames sent.', metrics.wsErrors),
    writesFamily(metrics.writeOutcomes),
    {
      name: 'tandem_fast_write_queue_depth',
      type: 'gauge',
      help: 'Writes accepted and not applied yet, in the whole queue (absent when the queue did not answer).',
      samples: queueDepth === undefined ? [] : [[undefined, queueDepth]],
    },
  ];
}
