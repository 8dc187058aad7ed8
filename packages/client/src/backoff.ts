export interface BackoffOptions {
  /** The first retry's delay before jitter, in ms. */
  readonly initialMs: number;
  /** The largest delay, in ms. */
  readonly maxMs: number;
}

/**
 * The wait before reconnect attempt `attempt` (1, 2, ...): doubling from `initialMs` up to `maxMs`, then
 * scaled by a random factor in [0.5, 1) so that clients dropped together (a restarted server) do not
 * all come back in the same millisecond.
 */
export function reconnectDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** exponent);
  return Math.round(ceiling * (0.5 + random() * 0.5));
}
