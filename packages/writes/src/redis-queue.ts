import { Redis } from 'ioredis';
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
  /** Spreads creates (which have no record to hash) over the partitions. */
  private creates = 0;

  constructor(private readonly options: RedisQueueOptions) {
    this.keys = new RedisQueueKeys(options.keyPrefix, options.partitions);
    this.redis = withQueueScripts(
      new Redis(options.redisUrl, {
        // A request fails fast (503) while Redis is away instead of waiting for it.
        maxRetriesPerRequest: 1,
        // Never send an accept twice: after a lost connection the script may or may not have run, and
        // running it again would queue the write twice. The request fails; an Idempotency-Key retry is safe.
        autoResendUnfulfilledCommands: false,
        // No enableAutoPipelining: measured (paired runs, bench/writes-accept.ts) at 5-13 µs more fast
        // CPU per accept (a Pipeline object per tick) for 3-8 µs less of Redis's; fast is the bound.
      }),
    );
    // Connection errors surface as failed commands; the event itself is noise.
    this.redis.on('error', () => undefined);
  }

  async accept(write: Omit<WriteRequest, 'id' | 'partition'>): Promise<AcceptResult> {
    const partition = writePartition(
      write.collection,
      write.recordId,
      this.options.partitions,
      this.creates++,
    );
    const keys = [
      write.idempotencyKey === null
        ? this.keys.seq
        : this.keys.idempotency(write.subject, write.idempotencyKey),
      this.keys.seq,
      this.keys.stream(partition),
      this.keys.depth,
      ...this.keys.streams,
    ];
    const args = [
      write.idempotencyKey === null ? '0' : '1',
      write.bodyHash,
      encodePayload(write),
      this.options.maxDepth,
      IDEMPOTENCY_TTL_SECONDS,
      this.keys.queuedPrefix,
      write.subject,
      IDEMPOTENCY_TTL_SECONDS,
      DEPTH_COUNT_TTL_MS,
    ];
    for (let attempt = 0; ; attempt++) {
      const [kind, value] = (await this.redis.writeAccept(keys.length, ...keys, ...args)) as [string, number];
      switch (kind) {
        case 'accepted':
        case 'replayed':
        case 'key_reused':
          return { kind, id: value };
        case 'busy':
          return { kind, depth: value };
        case 'no_sequence':
          if (attempt > 0) throw new Error('write queue: the id sequence vanished twice in a row');
          await this.floorSequence();
          break;
        default:
          throw new Error(`write queue: unexpected answer ${JSON.stringify(kind)} from the accept script`);
      }
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
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
