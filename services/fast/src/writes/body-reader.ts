import type { HttpResponse } from 'uWebSockets.js';

/** The request body as far as the write path needs it: all of it, or the news that it is too large. */
export type BodyOutcome =
  | { readonly kind: 'complete'; readonly bytes: Buffer }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'abandoned' };

/** What the request's headers say about its body (RFC 9112 §6.3). */
export interface BodyFraming {
  /** The Content-Length header ('' when absent). */
  readonly contentLength: string;
  /** The Transfer-Encoding header ('' when absent). */
  readonly transferEncoding: string;
}

const EMPTY = Buffer.alloc(0);
const DIGITS = /^[0-9]{1,15}$/;

/**
 * Reads a request body with a size limit, started in the route handler itself: uWebSockets.js drops
 * body chunks that arrive before `onData` is attached, and the token check before the body is used
 * may finish later. Chunks are copied as they come (uWS neuters each ArrayBuffer when the callback
 * returns), into one buffer when Content-Length says how large. A declared length above the limit is
 * refused before a byte is read; a chunked body is refused as soon as it passes the limit, and what
 * follows is dropped, not buffered. `finished` says whether the client sent it all: an answer given
 * before must close the connection (the rest of the body would otherwise be read as the next request's).
 */
export class BodyReader {
  private chunks: Buffer[] | undefined;
  private preallocated: Buffer | undefined;
  private received = 0;
  private outcome: BodyOutcome | undefined;
  private settle: ((outcome: BodyOutcome) => void) | undefined;
  /** The client sent the whole body (the last chunk arrived), or the request has none. */
  finished = false;

  constructor(
    res: HttpResponse,
    framing: BodyFraming,
    private readonly maxBytes: number,
  ) {
    const chunked = framing.transferEncoding !== '';
    if (framing.contentLength === '' && !chunked) {
      // No Content-Length and no Transfer-Encoding: the request has no body at all (RFC 9112 §6.3).
      this.finished = true;
      this.outcome = { kind: 'complete', bytes: EMPTY };
    } else if (!chunked) {
      // uWS refuses a malformed Content-Length before the handler runs; a huge one stops here.
      const declared = DIGITS.test(framing.contentLength) ? Number(framing.contentLength) : Infinity;
      if (declared > maxBytes) this.outcome = { kind: 'too_large' };
      else if (declared > 0) this.preallocated = Buffer.allocUnsafe(declared);
    }
    res.onData((chunk, isLast) => this.take(chunk, isLast));
  }

  /** Resolves once the body is complete, known to be too large, or abandoned by the client. */
  result(): Promise<BodyOutcome> {
    if (this.outcome) return Promise.resolve(this.outcome);
    return new Promise((resolve) => (this.settle = resolve));
  }

  /** The client went away before sending it all: a request waiting for the body ends instead. */
  abandon(): void {
    if (this.outcome) return;
    this.chunks = this.preallocated = undefined;
    this.done({ kind: 'abandoned' });
  }

  private take(chunk: ArrayBuffer, isLast: boolean): void {
    if (isLast) this.finished = true;
    if (this.outcome) return;
    const size = chunk.byteLength;
    if (this.received + size > this.maxBytes) {
      this.chunks = this.preallocated = undefined;
      return this.done({ kind: 'too_large' });
    }
    if (size > 0) {
      const bytes = new Uint8Array(chunk);
      if (this.preallocated && this.received + size > this.preallocated.length) {
        // More than Content-Length said (uWS does not let that happen): fall back to a list of chunks.
        this.chunks = [this.preallocated.subarray(0, this.received)];
        this.preallocated = undefined;
      }
      if (this.preallocated) this.preallocated.set(bytes, this.received);
      else (this.chunks ??= []).push(Buffer.from(bytes));
      this.received += size;
    }
    if (!isLast) return;
    this.done({ kind: 'complete', bytes: this.assembled() });
  }

  private assembled(): Buffer {
    if (this.preallocated) return this.preallocated.subarray(0, this.received);
    return this.chunks ? Buffer.concat(this.chunks, this.received) : EMPTY;
  }

  private done(outcome: BodyOutcome): void {
    this.outcome = outcome;
    this.settle?.(outcome);
    this.settle = undefined;
  }
}
