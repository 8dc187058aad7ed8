/**
 * Date.now() as of the last tick of a 100 ms timer. The token cache asks for the time on every
 * request (is the cached token still within exp + leeway?), and a clock read cost ~200 ns on the
 * virtual machines this was measured on, about 1.5% of a record GET. A token is honoured at most one
 * tick (plus any event-loop stall) past exp + leeway, which the leeway of whole seconds dwarfs.
 */
export class CoarseClock {
  private value = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(readonly resolutionMs = 100) {
    this.timer = setInterval(() => {
      this.value = Date.now();
    }, resolutionMs);
    this.timer.unref();
  }

  /** Milliseconds since the epoch, at most one tick old; bound, so it can be passed as `now`. */
  readonly now = (): number => this.value;

  stop(): void {
    clearInterval(this.timer);
  }
}
