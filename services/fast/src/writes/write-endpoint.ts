import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Logger } from '@tandem/log';
import { ROW_ACCESS_CLAIMS, repeatedJsonKey } from '@tandem/models';
import { AccessTokenVerifier, type VerifiedAccessToken } from '@tandem/tokens';
import { ifMatchHolds, writeBodyHash, type AcceptResult, type WriteQueue } from '@tandem/writes';
import type { DatabaseRows } from '../data/database-rows.js';
import type { CollectionStore, HotStore } from '../data/store.js';
import { insufficientScope, type AuthOutcome, type Authenticator } from '../http/auth.js';
import type { FastCors } from '../http/cors.js';
import { refuseOversized, type Limits, type ReadHeaders } from '../http/pipeline.js';
import { notFound, notReady, recordId } from '../http/record.js';
import { jsonError, send, type Reply } from '../http/respond.js';
import type { FastMetrics } from '../observability/metrics.js';
import { BodyReader } from './body-reader.js';
import { outcomeReply } from './outcome-reply.js';
import {
  settledOutcome,
  WRITES_COLLECTION,
  type OutcomeWaiters,
  type WriteOutcome,
} from './outcome-waiters.js';
import type { CachedQueueDepth } from './queue-depth.js';
import type { SubjectRateLimit } from './rate-limit.js';
import type { WritableCollection, WritableCollections, WriteOp } from './writable-collections.js';
import {
  mediaType,
  preferredWait,
  readWriteHeaders,
  validIdempotencyKey,
  type WriteHeaders,
} from './write-headers.js';
import {
  accepted,
  conflictingContentLength,
  contentTooLarge,
  duplicateKey,
  idempotencyKeyReused,
  invalidIdempotencyKey,
  invalidJson,
  methodNotAllowed,
  preconditionFailed,
  queueFull,
  queueUnavailable,
  tooManyWrites,
  unsupportedMediaType,
  validationFailed,
} from './write-replies.js';
import { LateReply } from '../http/late-reply.js';

export type WriteMethod = 'POST' | 'PATCH' | 'DELETE';

const OPS: Readonly<Record<WriteMethod, WriteOp>> = { POST: 'create', PATCH: 'update', DELETE: 'delete' };
/** The media types a body may be sent as (RFC 7396 §4 for a merge patch). */
const MEDIA_TYPES = {
  POST: ['application/json'],
  PATCH: ['application/merge-patch+json', 'application/json'],
} as const;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface WriteEndpointDeps {
  readonly store: HotStore;
  readonly auth: Authenticator;
  readonly metrics: FastMetrics;
  readonly limits: Limits;
  readonly cors: FastCors;
  readonly queue: WriteQueue;
  readonly collections: WritableCollections;
  readonly waiters: OutcomeWaiters;
  readonly rateLimit: SubjectRateLimit;
  readonly depth: CachedQueueDepth;
  /** WRITE_MAX_BODY_BYTES and WRITE_WAIT_MAX_SECONDS. */
  readonly maxBodyBytes: number;
  readonly waitMaxSeconds: number;
  readonly logger: Logger;
  /** Outcomes past the store's hot window, for an idempotent retry of an old write. */
  readonly databaseRows: DatabaseRows;
}

/** One write request, read from `req` in the route handler (req is valid synchronously only). */
interface WriteCall {
  readonly method: WriteMethod;
  readonly op: WriteOp;
  readonly target: WritableCollection;
  /** The URL's id for PATCH and DELETE ('' for POST). */
  readonly id: string;
  readonly headers: WriteHeaders;
  readonly body: BodyReader | undefined;
  readonly response: LateReply;
}

/** What the checks before the queue found: the caller, whose rows it writes, the body. */
interface CheckedWrite {
  readonly token: VerifiedAccessToken;
  readonly owner: string | null;
  readonly body: Readonly<Record<string, unknown>> | null;
  readonly bytes: Uint8Array;
  readonly ifMatch: string | null;
}

/**
 * POST /v1/{collection}, PATCH and DELETE /v1/{collection}/{id} for collections that declare writes.
 * The checks run in the contract's order (docs/architecture.md, the write path): token, write scope,
 * owner claim, rate limit, media type, body size, JSON, schema (and a new order's amounts at the
 * served prices), target visible, If-Match, Idempotency-Key, queue depth; then the write is queued
 * durably and answered 202, or, with `Prefer: wait=N`, with its outcome once the feed brings it. None
 * of this runs for GET requests.
 */
export class WriteEndpoint {
  constructor(private readonly deps: WriteEndpointDeps) {}

  /** The route handler: reads what it needs from `req`, starts the body, answers now or later. */
  handle(res: HttpResponse, req: HttpRequest, method: WriteMethod): void {
    const { limits, metrics, cors, collections, auth } = this.deps;
    // Each write request is counted once, by how it ends here (/metrics: tandem_fast_writes_total).
    const { writeOutcomes } = metrics;
    const base: ReadHeaders = { authorization: '', ifNoneMatch: '', origin: '' };
    const refused = refuseOversized(req, limits, base);
    if (refused) return send(res, metrics, 'refused', writeOutcomes.refusal(refused));
    const collection = req.getParameter(0) ?? '';
    const id = method === 'POST' ? '' : (req.getParameter(1) ?? '');
    const out = base.origin === '' ? res : cors.respondingTo(res, base.origin);
    const op = OPS[method];
    const target = collections.accepting(collection, op);
    if (!target) {
      const allow = collections.allowed(collection, method === 'POST' ? 'collection' : 'record');
      const path = method === 'POST' ? `/v1/${collection}` : `/v1/${collection}/{id}`;
      return send(out, metrics, 'method_not_allowed', writeOutcomes.refusal(methodNotAllowed(allow, path)));
    }
    const headers = readWriteHeaders(req);
    if (headers.conflictingLength)
      return send(out, metrics, 'refused', writeOutcomes.refusal(conflictingContentLength()), true);
    const response = new LateReply(out, metrics, 'write');
    // Started now: uWS drops body chunks that arrive before onData is attached.
    const body = op === 'delete' ? undefined : new BodyReader(res, headers, this.deps.maxBodyBytes);
    // A client that leaves mid-body ends the request here instead of leaving it waiting for ever.
    if (body) response.onGone = () => body.abandon();
    const call: WriteCall = { method, op, target, id, headers, body, response };
    this.run(call, auth.authenticateHeader(base.authorization)).then(
      (reply) => reply && response.send(reply, body !== undefined && !body.finished),
      (error: unknown) => {
        this.deps.logger.error({ err: error, collection, method }, 'write failed');
        const failed = jsonError(500, 'internal_error', 'The request could not be completed.');
        response.send(writeOutcomes.refusal(failed), true);
      },
    );
  }

  /** The answer to a write, or undefined when the client has gone (nothing to answer). */
  private async run(
    call: WriteCall,
    pending: AuthOutcome | Promise<AuthOutcome>,
  ): Promise<Reply | undefined> {
    const { writeOutcomes } = this.deps.metrics;
    const auth = await pending;
    if (!auth.ok) return writeOutcomes.refusal(auth.reply);
    const checked = await this.check(call, auth.token);
    if (call.response.done) {
      writeOutcomes.count('aborted'); // nothing queued: the client left during the checks
      return undefined;
    }
    if (!('token' in checked)) return writeOutcomes.refusal(checked);
    // The body may have taken seconds to arrive: a session revoked (or a token expired) meanwhile must
    // not still get its write queued.
    const now = this.deps.auth.stillValid(auth.token);
    if (!now.ok) return writeOutcomes.refusal(now.reply);
    return this.enqueue(call, checked);
  }

  /** Every check before the queue, in order; the first refusal is the answer. */
  private async check(call: WriteCall, token: VerifiedAccessToken): Promise<CheckedWrite | Reply> {
    const { store, rateLimit } = this.deps;
    const { target, op } = call;
    const scope = target.declaration.scope;
    if (!AccessTokenVerifier.grants(token, scope, target.scopeBit)) return insufficientScope(scope);
    const records = store.get(target.name)!;
    const owner = ownerOf(records, token);
    if (owner === undefined) return insufficientScope(undefined, ownerMissingMessage(records));
    const wait = rateLimit.take(token.sub, Date.now());
    if (wait > 0) return tooManyWrites(wait);

    let body: Readonly<Record<string, unknown>> | null = null;
    let bytes: Uint8Array = new Uint8Array(0);
    if (call.method !== 'DELETE') {
      const types: readonly string[] = MEDIA_TYPES[call.method];
      const type = mediaType(call.headers.contentType);
      if (type === undefined || !types.includes(type)) return unsupportedMediaType(call.method, types);
      const read = await call.body!.result();
      if (read.kind === 'too_large') return contentTooLarge(this.deps.maxBodyBytes);
      // The client has gone (run() sees it and counts the write aborted): this is never sent.
      if (read.kind === 'abandoned')
        return jsonError(400, 'body_incomplete', 'The connection closed before the body was complete.');
      bytes = read.bytes;
      let text: string;
      try {
        text = UTF8.decode(bytes);
      } catch {
        return invalidJson('it is not UTF-8.');
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // A syntax error, or nesting deeper than the parser's stack (a RangeError): no JSON to check.
        return invalidJson('it does not parse (RFC 8259).');
      }
      const repeated = repeatedJsonKey(text);
      if (repeated !== undefined) return duplicateKey(repeated.key, repeated.at);
      const errors = target.validator.check(op === 'create' ? 'create' : 'update', parsed, bytes.length);
      if (errors) return validationFailed(errors);
      body = parsed as Record<string, unknown>;
      const unfit = op === 'create' ? target.createRule?.(store, body) : undefined;
      if (unfit) return validationFailed(unfit);
    }

    let ifMatch: string | null = null;
    if (op !== 'create') {
      if (!store.ready) return notReady();
      const number = recordId(call.id);
      const record = number === undefined ? undefined : records.get(number);
      // Another owner's record is the missing one's 404, byte for byte, as GET answers it.
      if (!record || (owner !== null && record.owner !== owner)) return notFound(target.name, call.id);
      if (call.headers.ifMatch !== '') {
        const etag = record.etag.toString('latin1');
        if (!ifMatchHolds(call.headers.ifMatch, etag)) return preconditionFailed();
        // Strong comparison (the applier's, RFC 9110 §13.1.1), checked here and again when applied;
        // `*` asks only that the record exists.
        ifMatch = call.headers.ifMatch.trim() === '*' ? null : etag;
      }
    }
    const key = call.headers.idempotencyKey;
    if (key !== undefined && !validIdempotencyKey(key)) return invalidIdempotencyKey();
    return { token, owner, body, bytes, ifMatch };
  }

  /** Queues the checked write (durably) and answers: 202, or the outcome when the client waits. */
  private async enqueue(call: WriteCall, write: CheckedWrite): Promise<Reply | undefined> {
    const { queue, depth, waiters, store, logger } = this.deps;
    const { writeOutcomes } = this.deps.metrics;
    if (depth.full(Date.now())) return writeOutcomes.refusal(queueFull());
    const { target, op, id, headers } = call;
    const path = op === 'create' ? `/v1/${target.name}` : `/v1/${target.name}/${id}`;
    let result: AcceptResult;
    try {
      result = await queue.accept({
        collection: target.name,
        op,
        recordId: op === 'create' ? null : id,
        body: write.body,
        subject: write.token.sub,
        ownerKey: write.owner,
        sessionId: write.token.sid,
        ifMatch: write.ifMatch,
        idempotencyKey: headers.idempotencyKey ?? null,
        bodyHash: writeBodyHash(call.method, path, write.bytes),
        acceptedAt: Date.now(),
      });
    } catch (error) {
      logger.error({ err: error, collection: target.name, op }, 'write queue unreachable; write refused');
      return writeOutcomes.refusal(queueUnavailable());
    }
    if (result.kind === 'busy') return writeOutcomes.refusal(queueFull());
    if (result.kind === 'key_reused') return writeOutcomes.refusal(idempotencyKeyReused());
    writeOutcomes.count(result.kind);
    const replayed: Reply['headers'] = result.kind === 'replayed' ? [['Idempotent-Replayed', 'true']] : [];
    const seconds = preferredWait(headers.prefer, this.deps.waitMaxSeconds);
    if (seconds === 0) return accepted(result.id, replayed);

    const applied: Reply['headers'] = [['Preference-Applied', `wait=${seconds}`], ...replayed];
    let outcome: WriteOutcome | undefined = waiters.settled(result.id);
    // After the lookup's await, the store is asked again: the feed may have brought the outcome in the
    // meantime, and a waiter registered after that would wait its full time for a change already seen.
    if (!outcome && result.kind === 'replayed')
      outcome = (await this.settledEarlier(result.id, write.token)) ?? waiters.settled(result.id);
    if (!outcome) {
      if (call.response.done) return undefined;
      const wait = waiters.wait(result.id, seconds * 1000);
      call.response.onGone = wait.cancel;
      outcome = await wait.outcome;
    }
    if (!outcome) return accepted(result.id, applied);
    const reply = outcomeReply(outcome, store, write.owner, write.token);
    return { ...reply, headers: [...(reply.headers ?? []), ...applied] };
  }

  /**
   * A retried write's outcome from the table, when it settled so long ago that the store no longer
   * holds it (WRITE_HOT_SECONDS; keys are kept 24 h): without this a waiting retry would wait its full
   * time and answer "queued" for a write applied hours before. Undefined while it is queued, or when it
   * cannot be read (the retry then waits, as any).
   */
  private async settledEarlier(id: number, token: VerifiedAccessToken): Promise<WriteOutcome | undefined> {
    const writes = this.deps.store.get(WRITES_COLLECTION);
    const owner = writes?.readsAs(token);
    if (!writes || owner === undefined || writes.get(id)) return undefined;
    try {
      const json = await this.deps.databaseRows(WRITES_COLLECTION, id, owner);
      return json === null ? undefined : settledOutcome(json);
    } catch (error) {
      this.deps.logger.warn({ err: error, id }, 'write outcome not read from the database');
      return undefined;
    }
  }
}

/**
 * Whose rows a write is for: null in a shared collection, else the token's row claim (an order's
 * owner is the caller, never the body). Undefined when the token has no such claim: a machine
 * client cannot own an order, whatever lifting scope it reads with.
 */
function ownerOf(records: CollectionStore, token: VerifiedAccessToken): string | null | undefined {
  const rule = records.rowAccess;
  return rule === undefined ? null : token.rowClaims[rule.claim];
}

function ownerMissingMessage(records: CollectionStore): string {
  const holder = ROW_ACCESS_CLAIMS[records.rowAccess!.claim].holder;
  return `Each ${records.name} record belongs to its writer: writing one needs ${holder}. This token has no such claim.`;
}
