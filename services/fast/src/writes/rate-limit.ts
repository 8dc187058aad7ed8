/** A subject's bucket: tokens left as of `at` (ms). */
interface Bucket {
  tokens: number;
  at: number;
}

export interface RateLimitSettings {
  /** Writes per second a subject may send on average (WRITE_RATE_PER_SECOND). */
  readonly perSecond: number;
  /** Writes a subject may send at once after being idle (the bucket's size). */
  readonly burst: number;
}

/**
 * The per-subject write rate limit: a token bucket per token `sub`, refilled continuously, in this
 * node's memory (a check is a Map lookup and some arithmetic, no round trip; with N fast nodes behind
 * a balancer a subject gets at most N times the rate, which the queue depth bound still caps).
 * Buckets that have refilled completely are dropped by `sweep`, so memory follows the active writers.
 */
export class SubjectRateLimit {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(private readonly settings: RateLimitSettings) {
    this.perMs = settings.perSecond / 1000;
  }

  /** Takes one write from `subject`'s bucket: 0 when allowed, else the ms until one is available. */
  take(subject: string, now: number): number {
    let bucket = this.buckets.get(subject);
    if (!bucket) this.buckets.set(subject, (bucket = { tokens: this.settings.burst, at: now }));
    else {
      bucket.tokens = Math.min(this.settings.burst, bucket.tokens + (now - bucket.at) * this.perMs);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.perMs);
  }

  /** Forgets buckets that are full again (their subject has been idle long enough). */
  sweep(now: number): void {
    for (const [subject, bucket] of this.buckets)
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.settings.burst) this.buckets.delete(subject);
  }

  get size(): number {
    return this.buckets.size;
  }
}
