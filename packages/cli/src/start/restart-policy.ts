/** When `tandem start` restarts a service that exited on its own, and when it gives up. */
export interface RestartPolicy {
  /** Wait before the first restart; each further restart in a row waits twice as long... */
  readonly initialDelayMs: number;
  /** ...up to this. */
  readonly maxDelayMs: number;
  /** A run that stayed ready this long was healthy: the next crash starts again from `initialDelayMs`. */
  readonly stableAfterMs: number;
  /**
   * This many runs in a row that exited before reporting ready (a configuration error, a port taken)
   * mean restarting will not help: give up and stop everything.
   */
  readonly maxFailedStarts: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
  maxFailedStarts: 5,
};

export type RestartDecision =
  | { readonly kind: 'restart'; readonly delayMs: number; readonly attempt: number }
  | { readonly kind: 'give up'; readonly failedStarts: number };

/** The restart history of one service: how many restarts in a row, how many failed starts in a row. */
export class RestartStreak {
  private restarts = 0;
  private failedStarts = 0;

  constructor(private readonly policy: RestartPolicy) {}

  /**
   * A run of the service ended without being asked to. `readyForMs` is how long it had been ready,
   * `undefined` when it exited before reporting ready.
   */
  onUnexpectedExit(readyForMs: number | undefined): RestartDecision {
    if (readyForMs === undefined) {
      this.failedStarts += 1;
      if (this.failedStarts >= this.policy.maxFailedStarts)
        return { kind: 'give up', failedStarts: this.failedStarts };
    } else {
      this.failedStarts = 0;
      if (readyForMs >= this.policy.stableAfterMs) this.restarts = 0;
    }
    this.restarts += 1;
    const delayMs = Math.min(
      this.policy.initialDelayMs * 2 ** Math.min(this.restarts - 1, 30),
      this.policy.maxDelayMs,
    );
    return { kind: 'restart', delayMs, attempt: this.restarts };
  }
}
