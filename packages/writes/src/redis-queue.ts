import { Redis } from 'ioredis';
import { RedisEvictionGuard, persistenceWarning } from '@tandem/config';
import type { AcceptResult, WriteQueue } from './queue.js';
import { encodePayload } from './redis-queue-payload.js';
import { RedisQueueKeys } from './redis-queue-keys.js';
import { withQueueScripts, type QueueScripts } from './redis-queue-scripts.js';
import { writePartition, type WriteRequest } from './write-request.js';

/** Idempotency keys and queued markers live a day (the Idempotency-Key draft's usual window). */
export const IDEMPOTENCY_TTL_SECONDS = 86_400;
/**
 * The depth key (the accept script's bound) lives this long after its last exact count: each fast
 * node recounts it with every depth() (CachedQueueDepth: every 100 ms while writes come), and a count
 * nobody refreshes expires, so the next accept counts the streams again.
 */
export const DEPTH_COUNT_TTL_MS = 1000;

/**
 * At most this many writes per accept script call: a call runs alone in Redis (~20 µs of its CPU per
 * write in bench/writes-accept.ts, network included), so a larger batch would hold every other client
 * back longer for little more saved.
 */
export const ACCEPT_BATCH_MAX = 128;

interface PendingAccept {
  readonly write: Omit<WriteRequest, 'id' | 'partition'>;
  readonly partition: number;
  readonly resolve: (result: AcceptResult) => void;
  readonly reject: (error: unknown) => void;
}

export interface RedisQueueOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly partitions: number;
  readonly maxDepth: number;
  /**
   * The highest write id the database has recorded (its outcome rows). Asked only when Redis has no
   * sequence (first use, or a Redis that lost its data), so that ids are never given out twice.
   */
  readonly highestRecordedId: () => Promise<number>;
}

/** The fast service's side of the Redis Streams queue. */
export class RedisWriteQueue implements WriteQueue {
  private readonly redis: Redis & QueueScripts;
  private readonly keys: RedisQueueKeys;
  /**
   * A 202 promises the write is kept until applied, and a retry with its key that it is not queued
   * twice: neither holds in a Redis that deletes keys when full, so no write is accepted into one.
   */
  private readonly eviction: RedisEvictionGuard;
  /** Spreads creates (which have no record to hash) over the partitions. */
  private creates = 0;
  /** Accepts waiting for the next script call (sendBatch). */
  private batch: PendingAccept[] = [];

  constructor(private readonly options: RedisQueueOptions) {
    this.keys = new RedisQueueKeys(options.keyPrefix, options.partitions);
    this.redis = withQueueScripts(
      new Redis(options.redisUrl, {
        // A request fails fast (503) while Redis is away instead of waiting for it.
        maxRetriesPerRequest: 1,
        // Never send an accept twice: after a lost connection the script may or may not have run, and
        // running it again would queue the write twice. The request fails; an Idempotency-Key retry is safe.
        autoResendUnfulfilledCommands: false,
        // No enableAutoPipelining: it gathers by process.nextTick, which runs after each request's own
        // callback, so it sent one command per write and cost 5-13 µs more per accept (measured, paired
        // runs of bench/writes-accept.ts). sendBatch gathers a whole event-loop turn instead.
      }),
    );
    // Connection errors surface as failed commands; the event itself is noise.
    this.redis.on('error', () => undefined);
    this.eviction = new RedisEvictionGuard(this.redis, 'queued writes and Idempotency-Keys');
  }

  durabilityWarning(): Promise<string | undefined> {
    return persistenceWarning(this.redis, 'writes answered 202 and not yet applied');
  }

  accept(write: Omit<WriteRequest, 'id' | 'partition'>): Promise<AcceptResult> {
    const partition = writePartition(
      write.collection,
      write.recordId,
      this.options.partitions,
      this.creates++,
    );
    return new Promise((resolve, reject) => {
      this.batch.push({ write, partition, resolve, reject });
      if (this.batch.length >= ACCEPT_BATCH_MAX) this.sendBatch();
      else if (this.batch.length === 1) setImmediate(this.sendBatch);
    });
  }

  /**
   * Sends the accepts gathered since the last batch as one script call. Scheduled with setImmediate:
   * every request whose body arrived in the same turn of the event loop is in the batch, and none waits
   * longer than that turn. A batch that is already sent leaves an empty one behind, so a late timer
   * finds nothing to do.
   */
  private readonly sendBatch = (): void => {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    this.acceptBatch(batch).then(
      (results) => {
        for (let i = 0; i < batch.length; i++) {
          const result = results[i];
          if (result instanceof Error) batch[i]!.reject(result);
          else batch[i]!.resolve(result!);
        }
      },
      (error: unknown) => {
        for (const pending of batch) pending.reject(error);
      },
    );
  };

  private async acceptBatch(batch: readonly PendingAccept[]): Promise<(AcceptResult | Error)[]> {
    await this.eviction.checked;
    if (this.eviction.hazard !== undefined)
      throw new Error(`write queue: writes refused: ${this.eviction.hazard}`);
    const keys = [this.keys.seq, this.keys.depth, ...this.keys.streams];
    const args: (string | number)[] = [
      this.options.partitions,
      this.options.maxDepth,
      IDEMPOTENCY_TTL_SECONDS,
      this.keys.queuedPrefix,
      IDEMPOTENCY_TTL_SECONDS,
      DEPTH_COUNT_TTL_MS,
    ];
    for (const { write, partition } of batch) {
      let idempotencyKeyIndex = 0;
      if (write.idempotencyKey !== null) {
        keys.push(this.keys.idempotency(write.subject, write.idempotencyKey));
        idempotencyKeyIndex = keys.length; // Lua's KEYS count from 1
      }
      args.push(partition + 1, idempotencyKeyIndex, write.bodyHash, encodePayload(write), write.subject);
    }
    for (let attempt = 0; ; attempt++) {
      const reply = (await this.redis.writeAcceptBatch(keys.length, keys, args)) as (string | number)[];
      if (reply[0] === 'no_sequence') {
        if (attempt > 0) throw new Error('write queue: the id sequence vanished twice in a row');
        await this.floorSequence();
        continue;
      }
      return batch.map((_, i) => acceptResult(reply[2 * i], reply[2 * i + 1]));
    }
  }

  private async floorSequence(): Promise<void> {
    const highest = await this.options.highestRecordedId();
    await this.redis.writeFloorSequence(
      1 + this.keys.streams.length,
      this.keys.seq,
      ...this.keys.streams,
      highest,
    );
  }

  /**
   * Entries in the streams (acknowledged writes are deleted from them, so this is what is still queued),
   * counted exactly; the count also becomes the accept script's depth bound (RECOUNT_DEPTH).
   */
  async depth(): Promise<number> {
    const keys = [this.keys.depth, ...this.keys.streams];
    return Number(await this.redis.writeRecountDepth(keys.length, ...keys, DEPTH_COUNT_TTL_MS));
  }

  async isQueued(id: number, subject: string): Promise<boolean> {
    return (await this.redis.get(this.keys.queued(id))) === subject;
  }

  async close(): Promise<void> {
    this.eviction.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** One write's two items of the accept script's answer; 'failed' (XADD's error) and what follows are errors. */
function acceptResult(
  kind: string | number | undefined,
  value: string | number | undefined,
): AcceptResult | Error {
  switch (kind) {
    case 'accepted':
    case 'replayed':
    case 'key_reused':
      return { kind, id: Number(value) };
    case 'busy':
      return { kind, depth: Number(value) };
    case 'failed':
      return new Error(`write queue: XADD failed: ${String(value)}`);
    case undefined:
      return new Error('write queue: not queued, an earlier write of its batch failed');
    default:
      return new Error(`write queue: unexpected answer ${JSON.stringify(kind)} from the accept script`);
  }
}
