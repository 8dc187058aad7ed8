import type { FeedConfig } from '@tandem/config';
import type { Logger } from '@tandem/log';
import { PositionLostError } from './position-lost.js';
import type { ChangeBatch, FeedSource, Snapshot } from './types.js';

export interface ChangeFeedHandlers {
  /** A full snapshot: at start, and again after falling out of retention. Replaces everything. */
  snapshot(snapshot: Snapshot): void | Promise<void>;
  /** Current state of changed records and sessions, in outbox order per read; `position` is where it ends. */
  changes(batch: ChangeBatch, position: string): void | Promise<void>;
  /**
   * Where to continue without a snapshot, if the consumer already has the data up to some position
   * (the Redis relay resumes from its stream's last entry). Undefined: start with a snapshot.
   */
  resume?(): Promise<string | undefined>;
}

/** The reader's timings as FEED_* configures them (FeedConfig documents each). */
export interface ChangeFeedOptions extends Pick<
  FeedConfig,
  | 'pollMs'
  | 'fallbackPollMs'
  | 'reconnectMaxMs'
  | 'staleAfterMs'
  | 'retentionSeconds'
  | 'pruneIntervalSeconds'
> {
  readonly logger?: Logger;
}

export interface FeedStatus {
  /** A snapshot has been loaded: the node can serve. */
  readonly ready: boolean;
  readonly connected: boolean;
  /** Disconnected, or no successful read for longer than FEED_STALE_AFTER_MS: data may be old. */
  readonly stale: boolean;
  readonly position: string | undefined;
  /** Committed outbox events not yet applied. */
  readonly lagEvents: number;
  /** How old the oldest unapplied change is; while disconnected, time since the last successful read. */
  readonly lagMs: number;
  readonly eventsApplied: number;
  readonly snapshots: number;
  readonly reconnects: number;
  readonly lastError: string | undefined;
}

/**
 * Snapshot + tail (docs/architecture.md, decisions 4 and 5). Loads a consistent snapshot, then reads the outbox from the
 * snapshot's position whenever woken (NOTIFY), polled, or pending work remains. Connection loss is
 * survived: back off, reconnect, continue from the position; the last known data keeps being served
 * meanwhile. A gap longer than half the outbox retention may have lost events to pruning, so the feed
 * then reloads a snapshot instead of tailing. Its own prune keeps what it has not read (it is bounded by
 * the position); another reader's prune may not, and the source then reports the position lost
 * (PositionLostError): the feed reloads a snapshot.
 */
export class ChangeFeed {
  private position: string | undefined;
  private ready = false;
  private connected = false;
  private closed = false;
  private lastSuccessAt = 0;
  private lastPruneAt = 0;
  private lagEvents = 0;
  private pendingAgeMs = 0;
  private eventsApplied = 0;
  private snapshots = 0;
  private reconnects = 0;
  private lastError: string | undefined;
  private woken = false;
  private resumeTried = false;
  private lost: Error | undefined;
  private wakeWaiter: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(
    private readonly source: FeedSource,
    private readonly handlers: ChangeFeedHandlers,
    private readonly options: ChangeFeedOptions,
  ) {}

  /** Starts the loop; resolves once the first snapshot is applied (retrying connections meanwhile). */
  start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    this.loop ??= this.run();
    return ready;
  }

  /** Wakes the reader now (used by tests and by an in-process writer). */
  poke(): void {
    this.wake();
  }

  status(now: number = Date.now()): FeedStatus {
    const sinceSuccess = this.lastSuccessAt === 0 ? 0 : now - this.lastSuccessAt;
    const stale = !this.ready || !this.connected || sinceSuccess > this.options.staleAfterMs;
    return {
      ready: this.ready,
      connected: this.connected,
      stale,
      position: this.position,
      lagEvents: this.lagEvents,
      lagMs: Math.round(stale ? Math.max(sinceSuccess, this.pendingAgeMs) : this.pendingAgeMs),
      eventsApplied: this.eventsApplied,
      snapshots: this.snapshots,
      reconnects: this.reconnects,
      lastError: this.lastError,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(new Error('change feed closed'));
    this.wake();
    await this.loop;
    await this.source.close();
  }

  private wake(): void {
    this.woken = true;
    const waiter = this.wakeWaiter;
    this.wakeWaiter = undefined;
    waiter?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeWaiter = undefined;
        resolve();
      }, ms);
      this.wakeWaiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private markReady(): void {
    if (this.ready) return;
    this.ready = true;
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
  }

  private needsSnapshot(now: number): boolean {
    if (this.position === undefined) return true;
    return now - this.lastSuccessAt > (this.options.retentionSeconds * 1000) / 2;
  }

  private async run(): Promise<void> {
    let backoff = 50;
    while (!this.closed) {
      try {
        this.lost = undefined;
        await this.source.connect(
          () => this.wake(),
          (error) => {
            this.lost ??= error;
            this.wake();
          },
        );
        if (this.closed) break;
        if (this.snapshots > 0 || this.lastError !== undefined) this.reconnects += 1;
        this.connected = true;
        backoff = 50;
        this.options.logger?.info({ position: this.position }, 'change feed connected');
        await this.tail();
      } catch (error) {
        this.connected = false;
        this.lastError = (error as Error).message;
        if (this.closed) break;
        this.options.logger?.warn(
          { err: this.lastError, retryInMs: backoff },
          'change feed lost its database; serving last known data',
        );
        await this.source.close().catch(() => undefined);
        this.woken = false;
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.options.reconnectMaxMs);
      }
    }
    this.connected = false;
  }

  private async tail(): Promise<void> {
    while (!this.closed) {
      if (this.lost) throw this.lost;
      this.woken = false;
      // Resumed once, at start. After a lost position the consumer's position (the relay's stream) is
      // the lost one: resuming there again would read into the same gap, so the feed reloads instead.
      if (this.position === undefined && this.handlers.resume && !this.resumeTried) {
        const position = await this.handlers.resume();
        this.resumeTried = true;
        if (position !== undefined) {
          this.position = position;
          this.lastSuccessAt = Date.now();
          this.markReady();
        }
      }
      if (this.needsSnapshot(Date.now())) {
        const reload = this.position !== undefined;
        await this.source.snapshot(async (snapshot) => {
          await this.handlers.snapshot(snapshot);
          // Recorded as soon as it is applied: the read-only transaction's commit cannot undo what was read.
          this.position = snapshot.position;
          this.snapshots += 1;
          this.lastSuccessAt = Date.now();
          this.options.logger?.info({ position: snapshot.position, reload }, 'change feed snapshot loaded');
          this.markReady();
        });
        if (this.closed) return;
      }
      let result;
      try {
        result = await this.source.read(this.position!);
      } catch (error) {
        if (!(error instanceof PositionLostError)) throw error;
        this.options.logger?.warn({ err: error.message }, 'change feed position lost; reloading a snapshot');
        this.position = undefined;
        continue;
      }
      if (this.closed) return;
      if (result.changes.length > 0 || result.sessions.length > 0)
        await this.handlers.changes(result, result.position);
      this.position = result.position;
      this.eventsApplied += result.events;
      this.lagEvents = result.pending;
      this.pendingAgeMs = result.pendingAgeMs;
      this.lastSuccessAt = Date.now();
      this.lastError = undefined;
      if (this.lastSuccessAt - this.lastPruneAt >= this.options.pruneIntervalSeconds * 1000) {
        this.lastPruneAt = this.lastSuccessAt;
        const pruned = await this.source.prune(this.options.retentionSeconds, result.position);
        if (pruned > 0) this.options.logger?.debug({ pruned }, 'change feed pruned the outbox');
      }
      const busy = result.pending > 0 || result.events > 0;
      await this.sleep(
        this.source.notifiesOfCommits && !busy ? this.options.fallbackPollMs : this.options.pollMs,
      );
    }
  }
}
