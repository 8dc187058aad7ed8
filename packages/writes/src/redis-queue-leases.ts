import { randomBytes } from 'node:crypto';
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
 * Which partitions this applier holds. A partition is held by one applier at a time through a lease
 * key (SET NX PX, renewed every third of its life), so one applier applies a partition's writes, in
 * order. Live appliers beat into a sorted set; each takes at most ceil(partitions / live), so a new
 * applier gets its share as others give surplus partitions up between batches, and the partitions of
 * one that died are taken once its leases expire.
 */
export class PartitionLeases {
  readonly held = new Set<number>();
  private readonly holder: string;
  /** Where this applier starts looking for a free partition: appliers do not all race for partition 0. */
  private readonly offset: number;

  constructor(
    private readonly redis: Redis & QueueScripts,
    private readonly keys: RedisQueueKeys,
    private readonly consumer: string,
    private readonly leaseMs: number,
    private readonly hooks: LeaseHooks,
  ) {
    this.holder = `${consumer}:${randomBytes(6).toString('hex')}`;
    this.offset = randomBytes(2).readUInt16BE() % keys.partitions;
  }

  /** One round: heartbeat, renew what is held, give up surplus, take free partitions up to the share. */
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

    for (const partition of [...this.held]) {
      const renewed = await this.redis.writeRenewLease(this.keys.lease(partition), this.holder, this.leaseMs);
      if (Number(renewed) !== 1) this.held.delete(partition);
    }
    for (const partition of [...this.held].sort((a, b) => b - a)) {
      if (this.held.size <= share) break;
      if (this.hooks.canRelease(partition)) await this.release(partition);
    }
    for (let i = 0; i < this.keys.partitions && this.held.size < share; i++) {
      const partition = (this.offset + i) % this.keys.partitions;
      if (this.held.has(partition)) continue;
      const taken = await this.redis.set(this.keys.lease(partition), this.holder, 'PX', this.leaseMs, 'NX');
      if (taken !== 'OK') continue;
      await this.hooks.acquired(partition);
      this.held.add(partition);
    }
  }

  private async release(partition: number): Promise<void> {
    this.held.delete(partition);
    await this.redis.writeReleaseLease(this.keys.lease(partition), this.holder);
  }

  /** Gives every partition up and leaves the set of live appliers (clean shutdown). */
  async releaseAll(): Promise<void> {
    for (const partition of [...this.held]) await this.release(partition);
    await this.redis.zrem(this.keys.appliers, this.consumer);
  }
}
