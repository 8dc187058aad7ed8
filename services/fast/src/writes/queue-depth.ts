/** How often the queue is asked for its depth, at most (the contract's 100 ms). */
export const DEPTH_REFRESH_MS = 100;

/**
 * The write queue's depth as the edge checks it before each accept: a cached number, refreshed in the
 * background at most every DEPTH_REFRESH_MS, so a burst of writes costs one count query per 100 ms, not
 * one per write. The bound is therefore soft by up to 100 ms of accepts; the Redis queue also enforces
 * it exactly inside its accept script. A failed refresh keeps the last known depth (accept itself then
 * reports an unreachable queue).
 */
export class CachedQueueDepth {
  private depth = 0;
  private fetchedAt = -Infinity;
  private refreshing = false;

  constructor(
    private readonly read: () => Promise<number>,
    private readonly maxDepth: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Whether the queue is full as last seen; starts a refresh when that is older than 100 ms. */
  full(now: number): boolean {
    if (now - this.fetchedAt >= DEPTH_REFRESH_MS && !this.refreshing) this.refresh(now);
    return this.depth >= this.maxDepth;
  }

  /** The last depth read (for /metrics and tests). */
  get lastDepth(): number {
    return this.depth;
  }

  private refresh(now: number): void {
    this.refreshing = true;
    this.read().then(
      (depth) => {
        this.depth = depth;
        this.fetchedAt = now;
        this.refreshing = false;
      },
      (error: unknown) => {
        this.fetchedAt = now;
        this.refreshing = false;
        this.onError(error);
      },
    );
  }
}
