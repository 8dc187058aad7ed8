import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '@tandem/log';
import { ChangeFeed, type ChangeFeedOptions } from './feed.js';
import { encodeEntry, positionOf, streamId } from './stream-entry.js';
import type { ChangeBatch, FeedSource } from './types.js';

export interface RelayOptions extends ChangeFeedOptions {
  readonly streamKey: string;
  /** Approximate stream length kept (XADD MAXLEN ~): a consumer further behind reloads a snapshot. */
  readonly maxLen: number;
  /** The lock that keeps one relay active; a standby takes over within this time after a crash. */
  readonly lockTtlMs?: number;
  readonly logger?: Logger;
}

export interface RelayStatus {
  readonly active: boolean;
  /** The outbox position the stream's last entry ends at. */
  readonly written: string | undefined;
  readonly entriesWritten: number;
}

// Renew only while we still own the lock: a relay that stalled past the TTL must not extend a lock
// that another relay has taken since.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Reads the outbox in order (through the same ChangeFeed as a fast node) and appends each batch to a
 * Redis Stream, so N fast replicas tail Redis instead of each holding a PostgreSQL connection.
 * One relay is active at a time (a Redis lock); running two is safe anyway, because entry ids are
 * outbox positions and Redis refuses an id that is not larger than the last one.
 */
export class StreamRelay {
  private readonly id = randomUUID();
  private readonly lockKey: string;
  private readonly lockTtlMs: number;
  private closed = false;
  private active = false;
  private written: string | undefined;
  private entriesWritten = 0;
  private feed: ChangeFeed | undefined;
  private loop: Promise<void> | undefined;
  private wakeStandby: (() => void) | undefined;

  constructor(
    private readonly openSource: () => FeedSource,
    private readonly redis: Redis,
    private readonly options: RelayOptions,
  ) {
    this.lockKey = `${options.streamKey}:relay-lock`;
    this.lockTtlMs = options.lockTtlMs ?? 10_000;
  }

  start(): void {
    this.loop ??= this.run();
  }

  status(): RelayStatus {
    return { active: this.active, written: this.written, entriesWritten: this.entriesWritten };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeStandby?.();
    await this.feed?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        const acquired = await this.redis.set(this.lockKey, this.id, 'PX', this.lockTtlMs, 'NX');
        if (acquired !== 'OK') {
          await this.standby(this.lockTtlMs / 2);
          continue;
        }
        await this.relayWhileLocked();
      } catch (error) {
        this.options.logger?.warn({ err: (error as Error).message }, 'relay: redis unavailable; retrying');
        await this.standby(1000);
      }
    }
  }

  private async relayWhileLocked(): Promise<void> {
    this.active = true;
    this.options.logger?.info({ stream: this.options.streamKey }, 'relay: active');
    const feed = new ChangeFeed(
      this.openSource(),
      {
        resume: () => this.lastWrittenPosition(),
        snapshot: async (snapshot) => {
          // A snapshot means the stream cannot continue seamlessly (empty stream, or the relay was away
          // longer than the outbox retention). Mark where it now starts with an empty entry: a consumer
          // whose position is behind sees the gap in `from` at once and reloads its own snapshot, even
          // if nothing changes for a while.
          this.written = snapshot.position;
          if (snapshot.position !== '0')
            await this.append({ changes: [], sessions: [], events: 0 }, snapshot.position);
        },
        changes: (batch, position) => this.append(batch, position),
      },
      { ...this.options },
    );
    this.feed = feed;
    try {
      const started = feed.start();
      started.catch(() => undefined);
      while (!this.closed) {
        await this.standby(this.lockTtlMs / 3);
        if (this.closed) break;
        const renewed = await this.redis.eval(RENEW, 1, this.lockKey, this.id, this.lockTtlMs);
        if (renewed !== 1) {
          this.options.logger?.warn('relay: lost the lock; standing by');
          break;
        }
      }
    } finally {
      this.active = false;
      this.feed = undefined;
      await feed.close().catch(() => undefined);
      await this.redis.eval(RELEASE, 1, this.lockKey, this.id).catch(() => undefined);
    }
  }

  private async lastWrittenPosition(): Promise<string | undefined> {
    const last = (await this.redis.xrevrange(this.options.streamKey, '+', '-', 'COUNT', 1)) as [
      string,
      string[],
    ][];
    this.written = last[0] ? positionOf(last[0][0]) : undefined;
    return this.written;
  }

  private async append(batch: ChangeBatch, position: string): Promise<void> {
    const from = this.written ?? position;
    try {
      await this.redis.xadd(
        this.options.streamKey,
        'MAXLEN',
        '~',
        this.options.maxLen,
        streamId(position),
        ...encodeEntry(from, batch),
      );
      this.entriesWritten += 1;
      this.written = position;
    } catch (error) {
      // Another relay already wrote past this position: its entry covers these changes (and later
      // state). Continue after it; the next entry overlaps at most, which re-applying tolerates.
      if (!/equal or smaller than the target stream top item/.test((error as Error).message)) throw error;
      await this.lastWrittenPosition();
    }
  }

  private standby(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeStandby = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
