import type { QueuedWrite, WriteSource } from './queue.js';
import type { AdvisoryPartitionLocks } from './table-queue-locks.js';
import { QUEUED_COLUMNS, WRITES_TABLE, writeOfRow, type Knex, type QueuedRow } from './table-queue-rows.js';
import type { WriteRequest } from './write-request.js';

export interface TableSourceOptions {
  readonly partitions: number;
  /** How often an idle applier looks for new rows (PostgreSQL also wakes it on the change channel). */
  readonly pollMs: number;
}

/**
 * The applier's side of the table queue: the `queued` rows of the partitions it holds, in id order.
 * On PostgreSQL it holds partitions through session advisory locks (AdvisoryPartitionLocks); SQLite
 * has one writer at a time, so every applier reads every partition and the outcome UPDATE, conditional
 * on `status = 'queued'`, lets exactly one of them apply a write. The ack is that UPDATE, in the
 * applier's own transaction: a row stays `queued` (and is returned again) until it commits.
 */
export class TableWriteSource implements WriteSource {
  /** Deliveries per write id while it is queued, as seen by this process. */
  private readonly deliveries = new Map<number, number>();
  private wakeUp: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly knex: Knex,
    private readonly options: TableSourceOptions,
    private readonly locks: AdvisoryPartitionLocks | undefined,
  ) {}

  /** A notification arrived: a waiting next() looks again now. */
  wake(): void {
    this.wakeUp?.();
  }

  async next(max: number, waitMs: number): Promise<QueuedWrite[]> {
    const deadline = Date.now() + waitMs;
    while (!this.closed) {
      const held = this.locks
        ? await this.locks.refresh(() => true)
        : Array.from({ length: this.options.partitions }, (_, p) => p);
      if (held.length > 0) {
        const rows = (await this.knex(WRITES_TABLE)
          .select(...QUEUED_COLUMNS)
          .where({ status: 'queued' })
          .whereIn('partition', held)
          .orderBy('id')
          .limit(max)) as QueuedRow[];
        if (rows.length > 0) return rows.map((row) => this.delivered(writeOfRow(row)));
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      await this.pause(Math.min(left, this.options.pollMs));
    }
    return [];
  }

  private delivered(write: WriteRequest): QueuedWrite {
    // Rows another applier settled are never acked here; the counts are advisory, so a bound suffices.
    if (this.deliveries.size > 100_000) this.deliveries.clear();
    const deliveries = (this.deliveries.get(write.id) ?? 0) + 1;
    this.deliveries.set(write.id, deliveries);
    return { write, deliveries, firstDelivery: false };
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }

  /** The applier's outcome UPDATE already took the rows out of the queue; only the counts go. */
  async ack(writes: readonly WriteRequest[]): Promise<void> {
    for (const write of writes) this.deliveries.delete(write.id);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    await this.locks?.close();
  }
}
