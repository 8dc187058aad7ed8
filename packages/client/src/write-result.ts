import type { Write } from './generated/collections.js';
import type { WriteAnswer } from './fast-http.js';
import { ApiError } from './errors.js';

/** How a write is sent. */
export interface WriteOptions {
  /**
   * Makes a retry safe: the same key with the same body, by the same user within 24 h, answers for the
   * first write instead of writing again. A fresh UUID when not given; the result names the key used,
   * so a caller that lost the answer retries with it.
   */
  readonly idempotencyKey?: string;
  /**
   * Seconds to wait for the outcome (`Prefer: wait=N`, capped by the service's WRITE_WAIT_MAX_SECONDS);
   * 0 answers as soon as the write is queued. 10 by default.
   */
  readonly wait?: number;
  readonly signal?: AbortSignal;
}

/** How a change or a delete is sent: with `ifMatch`, only if the record is still that version. */
export interface ChangeOptions extends WriteOptions {
  /** The ETag of the version the change is based on (from `get`): 412 if the record changed since. */
  readonly ifMatch?: string;
}

interface Settled {
  /** The key the write was sent with (given, or made for it). */
  readonly idempotencyKey: string;
  /** An earlier write with the same key answered (`Idempotent-Replayed`): nothing was written again. */
  readonly replayed: boolean;
}

/**
 * What a write came to. `applied`: the source of truth applied it; `record` is the record exactly as
 * GET serves it (with its ETag), or `outcome` the write's outcome row when the collection does not show
 * the record to this caller (an unpublished product, or no read scope). `deleted`: applied, the record is
 * gone. `queued`: not applied within the wait; its outcome comes at `writes.get(writeId)` and on the live
 * topic `writes/{writeId}`. A write refused, at once or when applied, is an ApiError instead (`errors`
 * says why, per field).
 */
export type WriteResult<R> = Settled &
  (
    | {
        readonly state: 'applied';
        readonly status: 200 | 201;
        readonly record: R | null;
        readonly etag: string | null;
        readonly outcome: Write | null;
        /** A created record's path, e.g. /v1/orders/7. */
        readonly location: string | null;
      }
    | { readonly state: 'deleted'; readonly status: 204 }
    | { readonly state: 'queued'; readonly status: 202; readonly writeId: number; readonly location: string }
  );

/**
 * A random UUID (version 4) for a write's Idempotency-Key. From getRandomValues, not randomUUID: a page
 * served over plain http (not a secure context) has the one and not the other.
 */
function randomUuid(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Idempotency keys the service takes: 1 to 255 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The write's own headers: its key, the wait and, for a change, If-Match. */
export function writeHeaders(
  options: ChangeOptions,
  contentType?: string,
): { headers: Record<string, string>; idempotencyKey: string } {
  const idempotencyKey = options.idempotencyKey ?? randomUuid();
  if (!IDEMPOTENCY_KEY.test(idempotencyKey))
    throw new RangeError('idempotencyKey must be 1 to 255 visible ASCII characters (a UUID, say)');
  const wait = options.wait ?? 10;
  if (!Number.isSafeInteger(wait) || wait < 0)
    throw new RangeError(`wait must be a whole number of seconds, 0 or more; got ${wait}`);
  const headers: Record<string, string> = { 'idempotency-key': idempotencyKey };
  if (contentType) headers['content-type'] = contentType;
  if (wait > 0) headers.prefer = `wait=${wait}`;
  if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
  return { headers, idempotencyKey };
}

/** The result a write's 2xx answer stands for. */
export function writeResult<R>(answer: WriteAnswer, idempotencyKey: string): WriteResult<R> {
  const settled: Settled = {
    idempotencyKey,
    replayed: answer.headers.get('idempotent-replayed') === 'true',
  };
  const parse = () => JSON.parse(answer.text) as unknown;
  switch (answer.status) {
    case 202: {
      const { id } = parse() as { id?: unknown };
      const location = answer.headers.get('location');
      if (typeof id !== 'number' || location === null) break;
      return { ...settled, state: 'queued', status: 202, writeId: id, location };
    }
    case 204:
      return { ...settled, state: 'deleted', status: 204 };
    case 200:
    case 201: {
      // The record as GET serves it carries its ETag; the write's outcome row (served instead) does not.
      const etag = answer.headers.get('etag');
      const body = parse();
      return {
        ...settled,
        state: 'applied',
        status: answer.status,
        record: etag === null ? null : (body as R),
        etag,
        outcome: etag === null ? (body as Write) : null,
        location: answer.headers.get('location'),
      };
    }
  }
  throw new ApiError(answer.status, 'unexpected_response', `The fast service answered ${answer.status}.`);
}
