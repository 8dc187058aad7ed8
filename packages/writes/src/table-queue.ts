import type { AcceptResult, WriteQueue } from './queue.js';
import { WRITES_TABLE, queuedRow, type Dialect, type Knex } from './table-queue-rows.js';
import { writePartition, type WriteRequest } from './write-request.js';

/** depth() answers from a count at most this old: the bound needs no exact figure on every request. */
const DEPTH_MAX_AGE_MS = 100;

export interface TableQueueOptions {
  readonly partitions: number;
  readonly maxDepth: number;
}

/**
 * The fast service's side of the table queue (no Redis): a write is a `writes` row inserted `queued`,
 * committed before accept() resolves. The unique (subject, idempotency_key) index decides a retry
 * atomically: the insert does nothing on a conflict and the existing row answers instead, so parallel
 * requests with one key queue exactly one write.
 */
export class TableWriteQueue implements WriteQueue {
  private creates = 0;
  private counted = { depth: 0, at: 0 };
  private counting: Promise<number> | undefined;

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly options: TableQueueOptions,
  ) {}

  async accept(write: Omit<WriteRequest, 'id' | 'partition'>): Promise<AcceptResult> {
    const partition = writePartition(
      write.collection,
      write.recordId,
      this.options.partitions,
      this.creates++,
    );
    const depth = await this.depth();
    if (depth >= this.options.maxDepth) return (await this.earlier(write)) ?? { kind: 'busy', depth };
    // Twice at most: a conflicting row can vanish between the insert and the read (the purge clears
    // keys older than a day), and then the insert goes through the second time.
    for (let attempt = 0; attempt < 2; attempt++) {
      let insert = this.knex(WRITES_TABLE).insert(queuedRow(write, partition, this.dialect));
      if (write.idempotencyKey !== null) insert = insert.onConflict(['subject', 'idempotency_key']).ignore();
      const inserted = (await insert.returning('id')) as { id: number | string }[];
      if (inserted[0] !== undefined) {
        this.counted.depth++;
        return { kind: 'accepted', id: Number(inserted[0].id) };
      }
      const earlier = await this.earlier(write);
      if (earlier) return earlier;
    }
    throw new Error('write queue: the idempotency key conflicts with a write that cannot be read');
  }

  /** The earlier write of this subject under this Idempotency-Key, as a replay or a key reuse. */
  private async earlier(write: Omit<WriteRequest, 'id' | 'partition'>): Promise<AcceptResult | undefined> {
    if (write.idempotencyKey === null) return undefined;
    const row = (await this.knex(WRITES_TABLE)
      .select('id', 'body_hash')
      .where({ subject: write.subject, idempotency_key: write.idempotencyKey })
      .first()) as { id: number | string; body_hash: string } | undefined;
    if (!row) return undefined;
    return { kind: row.body_hash === write.bodyHash ? 'replayed' : 'key_reused', id: Number(row.id) };
  }

  /** Queued rows, counted at most every 100 ms (concurrent callers share one count). */
  async depth(): Promise<number> {
    if (Date.now() - this.counted.at < DEPTH_MAX_AGE_MS) return this.counted.depth;
    this.counting ??= (async () => {
      try {
        const row = (await this.knex(WRITES_TABLE).where({ status: 'queued' }).count({ n: '*' }).first()) as
          { n: number | string } | undefined;
        this.counted = { depth: Number(row?.n ?? 0), at: Date.now() };
        return this.counted.depth;
      } finally {
        this.counting = undefined;
      }
    })();
    return this.counting;
  }

  /**
   * The row exists and is the subject's: asked on a miss of the fast store, so it is either queued or
   * just applied with its outcome still on its way through the feed — either way not "not found".
   */
  async isQueued(id: number, subject: string): Promise<boolean> {
    // Ids are PostgreSQL integers: a larger number names no write (and must not reach the query).
    if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return false;
    const row: unknown = await this.knex(WRITES_TABLE).select('id').where({ id, subject }).first();
    return row !== undefined;
  }

  /** The ORM (and its connections) belong to the caller. */
  async close(): Promise<void> {}
}
