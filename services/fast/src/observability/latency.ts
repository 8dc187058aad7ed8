import type { HttpRequest, HttpResponse } from 'uWebSockets.js';

/**
 * Upper bounds (seconds) of the latency histogram's buckets: 25 µs (a cached record GET) to 1 s (a
 * JWKS fetch on a cold token), a bucket per 2–2.5× step, so a p99 read from them is within one step.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/**
 * One request in this many is timed. A clock read cost 250–450 ns on the (shared, virtual) machine this
 * was measured on, two per timed request: timing one in 16 cost ~40 ns per request on average, one in 64
 * ~10 ns. At 100,000 requests/s that is still ~1,500 samples a second (7,500 per 5 s scrape), plenty
 * for a p99; the other 63 pay one counter decrement and one branch.
 */
export const LATENCY_SAMPLE_EVERY = 64;

/** Counts per bucket (not cumulative; the last one is +Inf), their sum and count: a Prometheus histogram. */
export class LatencyHistogram {
  readonly buckets = new Float64Array(LATENCY_BUCKETS_SECONDS.length + 1);
  sumSeconds = 0;
  count = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[i]!) i += 1;
    this.buckets[i]! += 1;
    this.sumSeconds += seconds;
    this.count += 1;
  }

  /** [upper bound as Prometheus writes it, cumulative count], +Inf last. */
  *cumulative(): Iterable<[string, number]> {
    let total = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      total += this.buckets[i]!;
      yield [i < LATENCY_BUCKETS_SECONDS.length ? String(LATENCY_BUCKETS_SECONDS[i]) : '+Inf', total];
    }
  }
}

export type RouteHandler = (res: HttpResponse, req: HttpRequest) => void;

/**
 * Sampled request durations per route, for the p99 on /metrics (and the admin's dashboard). The /v1
 * reads are the benchmarked hot path, so nothing is timed per request: a route's handler is wrapped
 * once (`sampled`), and only every LATENCY_SAMPLE_EVERY-th request reads the clock. A sampled request
 * answered in its handler (a cached token) is timed around the handler; one whose token is still being
 * verified is timed until its deferred answer is sent (`deferred`, called by http/pipeline.ts).
 */
export class RequestLatency {
  /** By route name (metrics.ts's Route: 'record', 'list'). */
  readonly byRoute = new Map<string, LatencyHistogram>();
  /** While a sampled handler runs: when it started (else -1) and where it is counted. */
  private runningSince = -1;
  private runningHistogram: LatencyHistogram | undefined;

  constructor(readonly sampleEvery: number = LATENCY_SAMPLE_EVERY) {
    if (!Number.isSafeInteger(sampleEvery) || sampleEvery < 1)
      throw new Error(`sampleEvery must be a positive integer (got ${sampleEvery})`);
  }

  /** `handler`, with one request in `sampleEvery` timed into `route`'s histogram. */
  sampled(route: string, handler: RouteHandler): RouteHandler {
    const histogram = new LatencyHistogram();
    this.byRoute.set(route, histogram);
    const every = this.sampleEvery;
    let countdown = every;
    return (res, req) => {
      if (--countdown !== 0) return handler(res, req);
      countdown = every;
      this.time(histogram, handler, res, req);
    };
  }

  private time(
    histogram: LatencyHistogram,
    handler: RouteHandler,
    res: HttpResponse,
    req: HttpRequest,
  ): void {
    const started = performance.now();
    this.runningSince = started;
    this.runningHistogram = histogram;
    try {
      handler(res, req);
    } finally {
      // Still set: the handler answered before returning (deferred() clears it otherwise).
      if (this.runningSince === started) histogram.observe((performance.now() - started) / 1000);
      this.runningSince = -1;
      this.runningHistogram = undefined;
    }
  }

  /**
   * For a handler about to answer later: when the request is a sampled one, the function to call once
   * its answer is sent (it records the whole duration); otherwise undefined. Not on the cached path.
   */
  deferred(): (() => void) | undefined {
    const started = this.runningSince;
    const histogram = this.runningHistogram;
    if (started === -1 || !histogram) return undefined;
    this.runningSince = -1;
    return () => histogram.observe((performance.now() - started) / 1000);
  }
}
