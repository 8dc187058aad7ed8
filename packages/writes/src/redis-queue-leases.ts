import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { RedisQueueKeys } from './redis-queue-keys.js';
import type { QueueScripts } from './redis-queue-scripts.js';

export interface LeaseHooks {
  /** Called after a partition was taken and before it is used (claim the previous holder's entries). */
  acquired(partition: number): Promise<void>;
  /** Whether a partition may be given up now (nothing of it is being applied). */
  canRelease(partition: number): boolean;
}

/**
 * While the appliers are changing (one joined, left or died) and this one holds less than its share,
 * it looks for a free partition this often instead of every third of the lease: a partition given up
 * is unheld until someone takes it, and its writes wait meanwhile (measured: 3.4 s at 1,000 writes/s
 * with the default 10 s lease, the next round's wait).
 */
export const TAKE_RETRY_MS = 100;

/**
 * A partition is read only until its lease, counted from when the last acquire or renewal that
 * succeeded was sent, is this close to running out: room for a read sent just before that moment to
 * be served by Redis (network latency, a BLOCK cut short by next()). Renewals come every third of the
 * lease, so a quarter lets one round fail without stopping the reads.
 */
export function readMarginMs(leaseMs: number): number {
  return Math.floor(leaseMs / 4);
}

/** Which partitions may be read now, and for how long at most (the earliest of their leases' ends). */
export interface ReadablePartitions {
  readonly partitions: number[];
  readonly forMs: number;
}

/**
 * Which partitions this applier holds. A partition is held by one applier at a time through a lease
 * key (SET NX PX, renewed every third of its life), so one applier applies a partition's writes, in
 * order. Live appliers beat into a sorted set; each takes at most ceil(partitions / live), so a new
 * applier gets its share as others give surplus partitions up between batches, and the partitions of
 * one that died are taken once its leases expire. A surplus partition is given up right after an
 * acknowledgement (`afterAck`) as well as at a round: a busy applier nearly always has writes in
 * flight, so waiting for a round to find it idle could keep a new applier without work for many rounds.
 */
export class PartitionLeases {
  /** The partitions whose leases this applier renews (they may have run out: see readable()). */
  readonly held = new Set<number>();
  /**
   * Per held partition, until when (performance.now(), monotonic) its entries may be read: the send
   * time of the last acquire or renewal Redis confirmed, plus the lease, minus readMarginMs. Measured
   * from before the command was sent, so latency and a slow reply only make it end earlier than the
   * lease in Redis, which starts when Redis runs the command.
   */
  private readonly readableUntil = new Map<number, number>();
  private readonly holder: string;
  /** Where this applier starts looking for a free partition: appliers do not all race for partition 0. */
  private readonly offset: number;
  /** The share of the last round (ceil(partitions / live appliers)). */
  private share: number;
  /** The live appliers counted at the last round, and until when rounds come every TAKE_RETRY_MS. */
  private live = 0;
  private eagerUntil = 0;
  /** When afterAck may count the live appliers again. */
  private countAt = 0;

  constructor(
    private readonly redis: Redis & QueueScripts,
    private readonly keys: RedisQueueKeys,
    private readonly consumer: string,
    private readonly leaseMs: number,
    private readonly hooks: LeaseHooks,
  ) {
    this.holder = `${consumer}:${randomBytes(6).toString('hex')}`;
    this.offset = randomBytes(2).readUInt16BE() % keys.partitions;
    this.share = keys.partitions;
  }

  /**
   * When the next round is due: soon while the appliers are changing and this one holds less than its
   * share (for one lease: by then a holder that left has lost its leases and one with surplus has
   * given it up), else every third of the lease.
   */
  nextRoundMs(now = Date.now()): number {
    const period = Math.max(50, Math.floor(this.leaseMs / 3));
    return now < this.eagerUntil && this.held.size < this.share ? Math.min(TAKE_RETRY_MS, period) : period;
  }

  /**
   * After an acknowledgement (nothing of the acknowledged partitions in flight): counts the live
   * appliers (at most every TAKE_RETRY_MS, one ZCOUNT) and gives up what is above the share. So an
   * applier that joined gets partitions from a busy one within a batch, not at the busy one's next
   * round (a third of the lease).
   */
  async afterAck(now = Date.now()): Promise<void> {
    if (this.held.size <= 1 || now < this.countAt) return;
    this.countAt = now + TAKE_RETRY_MS;
    const live = Math.max(1, await this.redis.zcount(this.keys.appliers, now - this.leaseMs, '+inf'));
    this.share = Math.ceil(this.keys.partitions / live);
    await this.releaseSurplus();
  }

  /** Gives up the partitions above the share that nothing is applying now. */
  private async releaseSurplus(): Promise<void> {
    for (const partition of [...this.held].sort((a, b) => b - a)) {
      if (this.held.size <= this.share) break;
      if (this.hooks.canRelease(partition)) await this.release(partition);
    }
  }

  /**
   * The held partitions whose leases are known to be valid, in partition order. A lease is only known
   * valid for a while after Redis confirmed it: a round that fails or hangs (Redis away, a stalled
   * connection) confirms nothing, and `held` is only corrected at the next round that reaches Redis, by
   * when the lease may have expired and another applier taken the partition. Reading it beside that
   * applier would split the partition's entries between the two, and a record's writes could be
   * applied concurrently and out of order.
   */
  readable(now = performance.now()): ReadablePartitions {
    const partitions: number[] = [];
    let forMs = Infinity;
    for (const partition of [...this.held].sort((a, b) => a - b)) {
      const left = (this.readableUntil.get(partition) ?? 0) - now;
      if (left <= 0) continue;
      partitions.push(partition);
      forMs = Math.min(forMs, left);
    }
    return { partitions, forMs };
  }

  /** Redis confirmed the lease of `partition` by a command sent at `sentAt` (performance.now()). */
  private confirmed(partition: number, sentAt: number): void {
    this.held.add(partition);
    this.readableUntil.set(partition, sentAt + this.leaseMs - readMarginMs(this.leaseMs));
  }

  private dropped(partition: number): void {
    this.held.delete(partition);
    this.readableUntil.delete(partition);
  }

  /**
   * One round: heartbeat, renew what is held, give up surplus, take free partitions up to the share.
   * A partition whose renewal fails (or the round throws before it) keeps the reading time its last
   * confirmation gave it, no more; a renewal Redis refuses (another holder, or expired) drops it.
   */
  async tick(): Promise<void> {
    const now = Date.now();
    const replies = await this.redis
      .multi()
      .zadd(this.keys.appliers, now, this.consumer)
      .zremrangebyscore(this.keys.appliers, '-inf', now - this.leaseMs)
      .zcard(this.keys.appliers)
      .exec();
    const live = Math.max(1, Number(replies?.[2]?.[1] ?? 1));
    const share = Math.ceil(this.keys.partitions / live);
    if (live !== this.live) this.eagerUntil = now + this.leaseMs;
    this.live = live;
    this.share = share;

    for (const partition of [...this.held]) {
      const sentAt = performance.now();
      const renewed = await this.redis.writeRenewLease(this.keys.lease(partition), this.holder, this.leaseMs);
      if (Number(renewed) === 1) this.confirmed(partition, sentAt);
      else this.dropped(partition);
    }
    await this.releaseSurplus();
    for (let i = 0; i < this.keys.partitions && this.held.size < share; i++) {
      const partition = (this.offset + i) % this.keys.partitions;
      if (this.held.has(partition)) continue;
      const sentAt = performance.now();
      const taken = await this.redis.set(this.keys.lease(partition), this.holder, 'PX', this.leaseMs, 'NX');
      if (taken !== 'OK') continue;
      await this.hooks.acquired(partition);
      this.confirmed(partition, sentAt);
    }
  }

  private async release(partition: number): Promise<void> {
    this.dropped(partition);
    await this.redis.writeReleaseLease(this.keys.lease(partition), this.holder);
  }

  /** Gives every partition up and leaves the set of live appliers (clean shutdown). */
  async releaseAll(): Promise<void> {
    for (const partition of [...this.held]) await this.release(partition);
    await this.redis.zrem(this.keys.appliers, this.consumer);
  }
}
