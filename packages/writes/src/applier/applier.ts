import type { HotProjection, Orm } from '@tandem/models';
import type { Logger } from '@tandem/log';
import type { QueuedWrite, WriteSource } from '../queue.js';
import type { WriteRequest } from '../write-request.js';
import { BatchApplier, type BatchResult } from './batch.js';
import type { Dialect, WriteHandler } from './handler.js';
import { writeHandlers } from './handlers.js';
import type { Outcome } from './outcomes.js';
import { cancelExpiredHolds } from './order-holds.js';
import { purgeWrites } from './purge.js';
import type { Rejection } from './rejection.js';

export interface ApplierOptions {
  readonly orm: Orm;
  readonly dialect: Dialect;
  readonly source: WriteSource;
  readonly logger: Logger;
  /** Writes per transaction (WRITE_BATCH_SIZE). */
  readonly batchSize: number;
  /** Handlers by name; the standard ones (generic, orders, with `orderHoldMaxUnits`) by default. */
  readonly handlers?: ReadonlyMap<string, WriteHandler>;
  /**
   * ORDER_HOLD_MAX_UNITS: the stock units one buyer's unpaid orders may hold at once (an order that
   * would pass it is refused, 409); 0 or absent, no limit.
   */
  readonly orderHoldMaxUnits?: number;
  /** The hot projections; the registry's by default. */
  readonly projections?: readonly HotProjection[];
  /** How long one wait for writes lasts: also how long `stop()` may wait for an idle applier. */
  readonly pollMs?: number;
  /**
   * WRITE_RETENTION_SECONDS: with it, the applier purges the `writes` table every `purgeEveryMs`
   * (releases keys older than 24 h, deletes outcomes older than this); without it, never.
   */
  readonly retentionSeconds?: number;
  readonly purgeEveryMs?: number;
  /**
   * ORDER_HOLD_SECONDS: with it (> 0), the applier cancels, every `holdSweepEveryMs`, the pending
   * orders placed through the API longer ago than this, and puts their stock back; without it, never.
   */
  readonly orderHoldSeconds?: number;
  readonly holdSweepEveryMs?: number;
  /** Called after each committed batch (tests, metrics). */
  readonly onBatch?: (result: BatchResult) => void;
}

/** Totals since start. */
export interface ApplierStats {
  applied: number;
  rejected: number;
  skipped: number;
  batches: number;
  /** Batch attempts that failed and were retried. */
  retries: number;
  /** Pending orders cancelled because their stock hold ran out (ORDER_HOLD_SECONDS). */
  holdsExpired: number;
  /** Expired holds a sweep could not cancel (counted per sweep: one order failing every minute counts each time). */
  holdsFailed: number;
}

/** Failures after which a batch is applied write by write, to find a write that fails it. */
const SPLIT_AFTER_FAILURES = 3;
/** Failures of a single write, not caused by the database being unavailable, before it is given up. */
const GIVE_UP_AFTER_FAILURES = 5;
const MAX_BACKOFF_MS = 5_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** Transactions of one hold sweep at most; what is left waits for the next. */
const SWEEP_ROUNDS = 10;
/** The rejection recorded for a write given up on. */
const GIVEN_UP: Rejection = {
  httpStatus: 422,
  errors: {
    _: 'The write could not be applied. It was logged for the operators; retrying it will not help.',
  },
};

/**
 * Whether an error that failed a batch can come from one of its writes: a bug in a handler, or data the
 * database refuses (PostgreSQL classes 22 and 23, SQLite constraint and type errors) outside a
 * savepoint's handling. Only these lead to splitting the batch and, in the end, to giving a write up.
 * Anything else (a lost or refused connection, a pool timeout, a deadlock, a busy database, a missing
 * table before migrations ran) is about the database, and is retried for as long as it lasts: a good
 * write must never be rejected because the database was away.
 */
function isPoison(error: unknown): boolean {
  if (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError
  )
    return true;
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$|^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code)
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `tandem applier`: takes batches of writes from the queue and applies them (BatchApplier), then
 * acknowledges them, only after the commit. Several appliers may run: the queue gives each its own
 * partitions. A batch that fails is retried (its writes were not acknowledged, and a write already
 * recorded is skipped, so a retry never applies anything twice); one that keeps failing is split to
 * find the write that fails it, and that write alone is, in the end, recorded as rejected.
 */
export class Applier {
  readonly stats: ApplierStats = {
    applied: 0,
    rejected: 0,
    skipped: 0,
    batches: 0,
    retries: 0,
    holdsExpired: 0,
    holdsFailed: 0,
  };
  private readonly batches: BatchApplier;
  private stopping = false;
  private running: Promise<void> | undefined;

  constructor(private readonly options: ApplierOptions) {
    this.batches = new BatchApplier(
      options.orm,
      options.dialect,
      options.handlers ?? writeHandlers({ maxHeldUnits: options.orderHoldMaxUnits ?? 0 }),
      options.projections,
    );
  }

  /** The collections this applier writes (those that declare writes). */
  get collections(): string[] {
    return this.batches.collections;
  }

  /** Starts the loop; resolves when it ends (after `stop()`). */
  start(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /**
   * Finishes the batch in hand (applied and acknowledged, or left unacknowledged for another applier
   * when its transaction cannot commit), then returns. The caller closes the source (releasing its
   * partitions) and the ORM.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    const { source, batchSize, logger } = this.options;
    const pollMs = this.options.pollMs ?? 500;
    let idleFailures = 0;
    let purgeAt = 0;
    let sweepAt = 0;
    const holdSeconds = this.options.orderHoldSeconds ?? 0;
    while (!this.stopping) {
      if (this.options.retentionSeconds !== undefined && Date.now() >= purgeAt) {
        purgeAt = Date.now() + (this.options.purgeEveryMs ?? HOUR_MS);
        await this.purge(this.options.retentionSeconds);
      }
      if (holdSeconds > 0 && Date.now() >= sweepAt) {
        sweepAt = Date.now() + (this.options.holdSweepEveryMs ?? MINUTE_MS);
        await this.cancelExpiredHolds(holdSeconds);
      }
      let queued: QueuedWrite[];
      try {
        queued = await source.next(batchSize, pollMs);
        idleFailures = 0;
      } catch (error) {
        idleFailures += 1;
        logger.warn({ err: error }, 'applier: could not read the write queue; retrying');
        await sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** idleFailures));
        continue;
      }
      if (queued.length === 0) continue;
      const writes = queued.map((entry) => entry.write);
      const committed = await this.applyUntilCommitted(
        writes,
        queued.every((entry) => entry.firstDelivery),
      );
      if (!committed) break;
      try {
        await source.ack(writes);
      } catch (error) {
        // Committed but not acknowledged: the writes come back, and are skipped as already recorded.
        logger.warn(
          { err: error, writes: writes.length },
          'applier: could not acknowledge a committed batch',
        );
      }
    }
  }

  /**
   * Applies the writes, retrying while it fails; false when stopping interrupted the retries (the
   * writes stay unacknowledged, for this applier's next start or another applier).
   */
  private async applyUntilCommitted(
    writes: readonly WriteRequest[],
    firstDeliveries = false,
  ): Promise<boolean> {
    const { logger } = this.options;
    for (let failures = 0; ;) {
      try {
        this.count(await this.batches.apply(writes, { firstDeliveries: firstDeliveries && failures === 0 }));
        return true;
      } catch (error) {
        failures += 1;
        this.stats.retries += 1;
        const transient = !isPoison(error);
        logger.warn(
          { err: error, writes: writes.length, first: writes[0]?.id, failures, transient },
          'applier: a batch failed; retrying',
        );
        if (this.stopping && failures >= 2) return false;
        if (!transient && writes.length > 1 && failures >= SPLIT_AFTER_FAILURES)
          return this.applyOneByOne(writes);
        if (!transient && writes.length === 1 && failures >= GIVE_UP_AFTER_FAILURES)
          return this.giveUp(writes[0]!, error);
        await sleep(Math.min(MAX_BACKOFF_MS, 50 * 2 ** failures));
      }
    }
  }

  private async applyOneByOne(writes: readonly WriteRequest[]): Promise<boolean> {
    for (const write of writes) if (!(await this.applyUntilCommitted([write]))) return false;
    return true;
  }

  /**
   * A write that fails its batch every time for a reason that is not the database's availability (a
   * bug, data the handler cannot cope with): recorded as rejected, so its partition moves on and the
   * writer gets an answer, and logged as an error for someone to look at.
   */
  private async giveUp(write: WriteRequest, error: unknown): Promise<boolean> {
    const { logger } = this.options;
    logger.error(
      { err: error, write: write.id, collection: write.collection },
      'applier: a write could not be applied; recording it as rejected',
    );
    for (let failures = 0; ; failures += 1) {
      try {
        this.count(await this.batches.apply([write], { forced: GIVEN_UP }));
        return true;
      } catch (recordError) {
        logger.warn({ err: recordError, write: write.id }, 'applier: could not record a rejection; retrying');
        if (this.stopping) return false;
        await sleep(Math.min(MAX_BACKOFF_MS, 50 * 2 ** failures));
      }
    }
  }

  private async purge(retentionSeconds: number): Promise<void> {
    try {
      const result = await purgeWrites(this.options.orm.em.fork(), retentionSeconds);
      if (result.keysReleased + result.deleted > 0)
        this.options.logger.info(result, 'applier: purged the writes table');
    } catch (error) {
      // Upkeep only: the next round tries again.
      this.options.logger.warn({ err: error }, 'applier: could not purge the writes table');
    }
  }

  private async cancelExpiredHolds(holdSeconds: number): Promise<void> {
    const { orm, dialect, logger } = this.options;
    try {
      const failed: number[] = [];
      for (let round = 0; round < SWEEP_ROUNDS && !this.stopping; round += 1) {
        const sweep = await cancelExpiredHolds(orm.em.fork(), dialect, holdSeconds, { skip: failed });
        if (sweep.cancelled.length > 0) {
          this.stats.holdsExpired += sweep.cancelled.length;
          logger.info(
            { orders: sweep.cancelled.length, first: sweep.cancelled[0], holdSeconds },
            'applier: cancelled unpaid orders whose stock hold ran out',
          );
        }
        if (sweep.failed.length > 0) {
          const ids = sweep.failed.map(({ id }) => id);
          failed.push(...ids);
          this.stats.holdsFailed += ids.length;
          logger.error(
            { orders: ids, err: sweep.failed[0]!.error },
            'applier: could not cancel unpaid orders whose stock hold ran out; they stay pending and are tried again at the next sweep',
          );
        }
        if (sweep.cancelled.length === 0 && sweep.failed.length === 0) break;
      }
    } catch (error) {
      // The next sweep tries again; the writes must not wait for it.
      logger.warn({ err: error }, 'applier: could not cancel the expired order holds');
    }
  }

  private count(result: BatchResult): void {
    if (result.recheckedRedone > 0)
      // Rare by design: the queue lost a delivery's record, or a key was reused after Redis forgot it.
      this.options.logger.info(
        { writes: result.outcomes.length + result.skipped, skipped: result.skipped },
        'applier: a batch of new entries failed its first attempt and was done again with its outcome rows read',
      );
    this.stats.batches += 1;
    this.stats.applied += result.applied;
    this.stats.rejected += result.rejected;
    this.stats.skipped += result.skipped;
    this.options.onBatch?.(result);
  }
}

export type { BatchResult, Outcome };
