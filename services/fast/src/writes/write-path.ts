import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { WritesConfig } from '@tandem/config';
import type { Logger } from '@tandem/log';
import type { HotProjection, WriteBodySchemas } from '@tandem/models';
import type { WriteQueue } from '@tandem/writes';
import type { DatabaseRows } from '../data/database-rows.js';
import type { HotStore } from '../data/store.js';
import type { Authenticator } from '../http/auth.js';
import type { FastCors } from '../http/cors.js';
import type { Limits } from '../http/pipeline.js';
import type { FastMetrics } from '../observability/metrics.js';
import { WriteOutcomeRoute } from './outcome-route.js';
import { OutcomeWaiters } from './outcome-waiters.js';
import { CachedQueueDepth } from './queue-depth.js';
import { SubjectRateLimit } from './rate-limit.js';
import { WritableCollections } from './writable-collections.js';
import { WriteEndpoint, type WriteMethod } from './write-endpoint.js';

export interface WritePathOptions {
  readonly store: HotStore;
  readonly auth: Authenticator;
  readonly metrics: FastMetrics;
  readonly limits: Limits;
  readonly cors: FastCors;
  readonly queue: WriteQueue;
  readonly projections: readonly HotProjection[];
  /** `writeBodySchemas` of @tandem/models over the ORM metadata. */
  readonly schemasOf: (projection: HotProjection) => WriteBodySchemas;
  readonly settings: WritesConfig;
  readonly logger: Logger;
  /** Rows by id from the database: outcomes that have left the store's hot window. */
  readonly databaseRows: DatabaseRows;
}

/** How often idle writers' rate-limit buckets are forgotten. */
const SWEEP_MS = 60_000;

/**
 * The fast service's write path, put together once at start-up: the writable collections and their
 * compiled validators, the per-subject rate limit, the cached queue depth, the outcome waiters the
 * feed settles, and the routes (POST/PATCH/DELETE, GET /v1/writes/{id}).
 */
export class WritePath {
  readonly collections: WritableCollections;
  readonly waiters: OutcomeWaiters;
  readonly rateLimit: SubjectRateLimit;
  /**
   * GET /v1/writes/{id} of an id the store does not hold asks the database and the queue: those lookups
   * have a bucket of their own per subject, at the write rate, so a token cannot turn reads into a
   * stream of queue or database queries.
   */
  readonly lookupLimit: SubjectRateLimit;
  readonly depth: CachedQueueDepth;
  private readonly endpoint: WriteEndpoint;
  private readonly outcomes: WriteOutcomeRoute;
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: WritePathOptions) {
    const { settings, queue, logger } = options;
    this.collections = new WritableCollections(
      options.projections,
      options.schemasOf,
      options.settings.orderHoldMaxUnits,
    );
    this.waiters = new OutcomeWaiters(options.store);
    const rate = { perSecond: settings.ratePerSecond, burst: settings.rateBurst };
    this.rateLimit = new SubjectRateLimit(rate);
    this.lookupLimit = new SubjectRateLimit(rate);
    this.depth = new CachedQueueDepth(
      () => queue.depth(),
      settings.maxQueueDepth,
      (err) => logger.warn({ err }, 'write queue depth not read'),
    );
    const shared = { ...options, logger };
    this.endpoint = new WriteEndpoint({
      ...shared,
      collections: this.collections,
      waiters: this.waiters,
      rateLimit: this.rateLimit,
      depth: this.depth,
      maxBodyBytes: settings.maxBodyBytes,
      waitMaxSeconds: settings.waitMaxSeconds,
    });
    this.outcomes = new WriteOutcomeRoute({ ...shared, lookupLimit: this.lookupLimit });
    this.sweeper = setInterval(() => {
      const now = Date.now();
      this.rateLimit.sweep(now);
      this.lookupLimit.sweep(now);
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  /** POST /v1/{collection}, PATCH and DELETE /v1/{collection}/{id}. */
  write(res: HttpResponse, req: HttpRequest, method: WriteMethod): void {
    this.endpoint.handle(res, req, method);
  }

  /** GET /v1/writes/{id}: a write's outcome. */
  outcome(res: HttpResponse, req: HttpRequest): void {
    this.outcomes.handle(res, req);
  }

  /** The methods a /v1 path allows (the Allow header of a 405). */
  allowed(collection: string, shape: 'collection' | 'record'): readonly string[] {
    return this.collections.allowed(collection, shape);
  }

  /** Stops the sweeper and answers every waiting request (202: still queued as far as it knows). */
  close(): void {
    clearInterval(this.sweeper);
    this.waiters.close();
  }
}
