import type { RecordChange } from '@tandem/changefeed';
import type { HotStore } from '../data/store.js';

/** The hot collection the applier records each write's outcome in (the `Write` model's projection). */
export const WRITES_COLLECTION = 'writes';

/** A write's outcome row as the fast service serves it (`GET /v1/writes/{id}`). */
export interface WriteOutcome {
  readonly id: number;
  readonly status: 'queued' | 'applied' | 'rejected';
  readonly collection: string;
  readonly op: 'create' | 'update' | 'delete';
  readonly recordId: string | null;
  readonly httpStatus: number | null;
  readonly errors: Readonly<Record<string, string>> | null;
}

/** The outcome in an outcome row's JSON when the write is applied or rejected; undefined while queued. */
export function settledOutcome(json: string): WriteOutcome | undefined {
  const outcome = JSON.parse(json) as WriteOutcome;
  return outcome.status === 'queued' ? undefined : outcome;
}

interface Waiter {
  readonly resolve: (outcome: WriteOutcome | undefined) => void;
  readonly timer: NodeJS.Timeout;
}

/** A wait for one write's outcome; `cancel` ends it early (the client went away). */
export interface PendingOutcome {
  readonly outcome: Promise<WriteOutcome | undefined>;
  cancel(): void;
}

/**
 * Requests waiting for their write's outcome (`Prefer: wait=N`). The outcome arrives like any change:
 * the applier commits the effect and the `writes` row together, the feed brings both, and the waiters
 * are told only after the whole batch is in the store, so the record's bytes are there when they answer.
 * Nothing here runs for requests that do not wait, and a feed batch costs one size check when nobody
 * waits.
 */
export class OutcomeWaiters {
  private readonly waiting = new Map<number, Set<Waiter>>();

  constructor(private readonly store: HotStore) {}

  /** The outcome of write `id` when the store holds it applied or rejected, else undefined. */
  settled(id: number): WriteOutcome | undefined {
    const record = this.store.get(WRITES_COLLECTION)?.get(id);
    return record ? settledOutcome(record.bytes.toString('utf8')) : undefined;
  }

  /** Waits up to `ms` for write `id` to settle; resolves undefined when it did not in time. */
  wait(id: number, ms: number): PendingOutcome {
    let waiter: Waiter | undefined;
    const outcome = new Promise<WriteOutcome | undefined>((resolve) => {
      const timer = setTimeout(() => this.finish(id, waiter!, undefined), ms);
      waiter = { resolve, timer };
      let set = this.waiting.get(id);
      if (!set) this.waiting.set(id, (set = new Set()));
      set.add(waiter);
    });
    return { outcome, cancel: () => this.finish(id, waiter!, undefined) };
  }

  /** After a feed batch was applied to the store: settles the waiters of the writes it changed. */
  afterChanges(changes: readonly RecordChange[]): void {
    if (this.waiting.size === 0) return;
    for (const change of changes)
      if (change.collection === WRITES_COLLECTION && this.waiting.has(change.id)) this.settle(change.id);
  }

  /** After a snapshot replaced the store (the feed fell behind): any waited-for write may have settled. */
  afterSnapshot(): void {
    for (const id of [...this.waiting.keys()]) this.settle(id);
  }

  /** How many requests wait (for tests and /metrics). */
  get size(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }

  /** Ends every wait (shutdown): each answers as if its time was up. */
  close(): void {
    for (const [id, set] of [...this.waiting])
      for (const waiter of [...set]) this.finish(id, waiter, undefined);
  }

  private settle(id: number): void {
    const outcome = this.settled(id);
    if (!outcome) return;
    for (const waiter of [...(this.waiting.get(id) ?? [])]) this.finish(id, waiter, outcome);
  }

  private finish(id: number, waiter: Waiter, outcome: WriteOutcome | undefined): void {
    const set = this.waiting.get(id);
    if (!set?.delete(waiter)) return;
    if (set.size === 0) this.waiting.delete(id);
    clearTimeout(waiter.timer);
    waiter.resolve(outcome);
  }
}
