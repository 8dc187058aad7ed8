import type { Reply } from '../http/respond.js';
import type { ObservedParts } from './parts.js';

/**
 * What /healthz says of a failing feed or key fetch. Not the error itself: /healthz answers anyone
 * who can reach the node, and a driver's or fetch's message names database users, hosts, ports and
 * internal URLs. The message is in the service's log (warn), where operators read it.
 */
export const FAILING = 'failing: the reason is in the service log';

/**
 * GET /healthz. Ready (200) once the snapshot is loaded and the issuer's signing keys are held: without
 * keys every token would be refused, so a replica without them must stay out of rotation.
 *
 * A probe needs only that (status, ready, reason). The details (records per collection, the feed's
 * position and lag, keys held) are what /metrics guards: with METRICS_TOKEN set, an anonymous caller
 * could otherwise follow order volume live here. So they go to the callers /metrics would answer:
 * the bearer METRICS_TOKEN, or anyone when none is set (then /metrics is open too).
 */
export function healthReply(parts: ObservedParts, authorization: string): Reply {
  const { store, feed, jwks, metricsAccess } = parts;
  const notReady = !store.ready ? 'loading snapshot' : jwks.size === 0 ? 'no signing keys yet' : undefined;
  const status = feed.status();
  const probe = {
    status: notReady ? 'starting' : status.stale ? 'stale' : 'ok',
    ready: notReady === undefined,
    ...(notReady && { reason: notReady }),
  };
  // uWebSockets.js reads an absent header as '', which allows() treats as no header.
  const body = metricsAccess.allows(authorization) ? { ...probe, ...details(parts, status) } : probe;
  return {
    status: body.ready ? 200 : 503,
    body: JSON.stringify(body),
    headers: [['Cache-Control', 'no-store']],
  };
}

/** What /healthz tells only a caller who may read /metrics. */
function details({ store, jwks }: ObservedParts, status: ReturnType<ObservedParts['feed']['status']>) {
  const records: Record<string, number> = {};
  for (const [name, collection] of store.collections) records[name] = collection.size;
  return {
    feed: {
      connected: status.connected,
      stale: status.stale,
      lagEvents: status.lagEvents,
      lagMs: status.lagMs,
      position: status.position ?? null,
      lastError: status.lastError === undefined ? null : FAILING,
    },
    jwks: { keys: jwks.size, lastError: jwks.lastError === undefined ? null : FAILING },
    records,
  };
}
