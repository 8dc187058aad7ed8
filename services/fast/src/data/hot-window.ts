/**
 * When each row of a collection with a hot window (HotDeclaration.hotWindow) last arrived in memory,
 * oldest first, so the rows that have been held longer than the window can be dropped. The database
 * already leaves rows past the window out of the snapshot and the feed's re-reads; this bounds what
 * stays after arriving. A row arrives no earlier than the time the window counts from (it is read
 * after it was settled), so dropping it `windowMs` after its arrival never drops it early.
 *
 * Arrivals are appended in time order and consumed from the front: a sweep costs one step per
 * arrival it passes, whatever the collection's size. A row that arrived again since keeps its place.
 */
export class HotWindow {
  private ids: number[] = [];
  private times: number[] = [];
  private head = 0;
  /** Each held row's latest arrival: an older entry of the same row in the queue is passed over. */
  private readonly latest = new Map<number, number>();

  constructor(readonly windowMs: number) {}

  arrived(id: number, nowMs: number): void {
    this.ids.push(id);
    this.times.push(nowMs);
    this.latest.set(id, nowMs);
  }

  /** The row was deleted: nothing to drop later. */
  left(id: number): void {
    this.latest.delete(id);
  }

  /** The rows whose latest arrival is more than the window before `nowMs`; they are forgotten here. */
  expired(nowMs: number): number[] {
    const cutoff = nowMs - this.windowMs;
    const out: number[] = [];
    let at = this.head;
    while (at < this.ids.length && this.times[at]! < cutoff) {
      const id = this.ids[at]!;
      if (this.latest.get(id) === this.times[at]) {
        this.latest.delete(id);
        out.push(id);
      }
      at++;
    }
    this.head = at;
    // Compact once the consumed front is most of the queue: amortized O(1) per arrival.
    if (this.head > 1024 && this.head * 2 > this.ids.length) {
      this.ids = this.ids.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Rows held (for tests and metrics). */
  get size(): number {
    return this.latest.size;
  }
}
