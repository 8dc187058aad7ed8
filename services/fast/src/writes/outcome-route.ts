import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Logger } from '@tandem/log';
import type { VerifiedAccessToken } from '@tandem/tokens';
import type { WriteQueue } from '@tandem/writes';
import type { DatabaseRows } from '../data/database-rows.js';
import { CollectionStore, type HotStore } from '../data/store.js';
import type { AuthOutcome, Authenticator } from '../http/auth.js';
import type { FastCors } from '../http/cors.js';
import { refuseOversized, type Limits, type ReadHeaders } from '../http/pipeline.js';
import { preparedRecordReply, readableCollection, readerOf, recordId, recordReply } from '../http/record.js';
import { send, type Reply } from '../http/respond.js';
import type { FastMetrics } from '../observability/metrics.js';
import { WRITES_COLLECTION } from './outcome-waiters.js';
import type { SubjectRateLimit } from './rate-limit.js';
import { queueUnavailable, tooManyLookups } from './write-replies.js';
import { LateReply } from '../http/late-reply.js';

export interface OutcomeRouteDeps {
  readonly store: HotStore;
  readonly auth: Authenticator;
  readonly metrics: FastMetrics;
  readonly limits: Limits;
  readonly cors: FastCors;
  readonly queue: WriteQueue;
  readonly logger: Logger;
  /** Lookups in the queue per subject (WritePath.lookupLimit). */
  readonly lookupLimit: SubjectRateLimit;
  /** Outcomes past the hot window (WRITE_HOT_SECONDS), read from the `writes` table. */
  readonly databaseRows: DatabaseRows;
}

/**
 * GET /v1/writes/{id}: the generic record route over the `writes` collection (the writer's own rows
 * only), plus fallbacks on a miss. The store holds outcomes settled in the last WRITE_HOT_SECONDS; an
 * older one is read from the `writes` table (the same bytes and ETag it had in memory). With the Redis
 * queue a write has no row until the applier records its outcome, so a miss then asks the queue whether
 * this subject's write is still queued (200 `{"id":N,"status":"queued"}`); otherwise it is GET's 404.
 * Those lookups are rate-limited per subject (429 `rate_limited`), the hits in the store are not. Mounted on its own static path, which
 * uWebSockets.js matches before `/v1/:collection/:id`: the other collections' reads do not change.
 */
export class WriteOutcomeRoute {
  constructor(private readonly deps: OutcomeRouteDeps) {}

  handle(res: HttpResponse, req: HttpRequest): void {
    const { limits, metrics, cors, auth } = this.deps;
    const headers: ReadHeaders = { authorization: '', ifNoneMatch: '', origin: '' };
    const refused = refuseOversized(req, limits, headers);
    if (refused) return send(res, metrics, 'refused', refused);
    const id = req.getParameter(0) ?? '';
    const out = headers.origin === '' ? res : cors.respondingTo(res, headers.origin);
    const outcome = auth.authenticateHeader(headers.authorization);
    if (!(outcome instanceof Promise)) {
      const stored = this.stored(outcome, id, headers.ifNoneMatch);
      if (stored.status !== 404 || !outcome.ok) return send(out, metrics, 'record', stored);
    }
    const response = new LateReply(out, metrics, 'record');
    this.answer(outcome, id, headers.ifNoneMatch).then(
      (reply) => response.send(reply),
      (error: unknown) => {
        this.deps.logger.error({ err: error }, 'write outcome lookup failed');
        response.send(queueUnavailable());
      },
    );
  }

  /** The outcome row as GET serves any record (or the refusal a GET would get). */
  private stored(outcome: AuthOutcome, id: string, ifNoneMatch: string): Reply {
    if (!outcome.ok) return outcome.reply;
    return recordReply(this.deps.store, WRITES_COLLECTION, id, ifNoneMatch, outcome.token);
  }

  private async answer(
    pending: AuthOutcome | Promise<AuthOutcome>,
    id: string,
    ifNoneMatch: string,
  ): Promise<Reply> {
    const outcome = await pending;
    const stored = this.stored(outcome, id, ifNoneMatch);
    if (stored.status !== 404 || !outcome.ok) return stored;
    const number = recordId(id);
    if (number === undefined) return stored;
    const wait = this.deps.lookupLimit.take(outcome.token.sub, Date.now());
    if (wait > 0) return tooManyLookups(wait);
    const settled = await this.settled(outcome.token, id, number, ifNoneMatch);
    if (settled) return settled;
    // The subject is compared by the queue: another writer's queued write is this 404 too.
    const queued = await this.deps.queue.isQueued(number, outcome.token.sub);
    return queued ? { status: 200, body: `{"id":${number},"status":"queued"}` } : stored;
  }

  /**
   * The outcome row from the database when it is this reader's, answered as the store would; else
   * undefined. The owner is part of the query, so another writer's row is never read: it costs what a
   * missing one costs, and the two cannot be told apart by timing either.
   */
  private async settled(
    token: VerifiedAccessToken,
    id: string,
    number: number,
    ifNoneMatch: string,
  ): Promise<Reply | undefined> {
    const readable = readableCollection(this.deps.store, WRITES_COLLECTION, token);
    if (!(readable instanceof CollectionStore)) return readable;
    const owner = readerOf(readable, token);
    const json = await this.deps.databaseRows(WRITES_COLLECTION, number, owner);
    if (json === null) return undefined;
    // Checked again after the await: the answer is for the store as it is now.
    const records = readableCollection(this.deps.store, WRITES_COLLECTION, token);
    if (!(records instanceof CollectionStore)) return records;
    const record = records.prepareDetached(number, json);
    const reply = preparedRecordReply(WRITES_COLLECTION, id, record, owner, ifNoneMatch);
    return reply.status === 404 ? undefined : reply;
  }
}
