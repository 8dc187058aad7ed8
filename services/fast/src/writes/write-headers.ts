import type { HttpRequest } from 'uWebSockets.js';
import type { BodyFraming } from './body-reader.js';

/** The request headers a write reads besides the ones every /v1 route reads (pipeline.ts). */
export interface WriteHeaders extends BodyFraming {
  contentType: string;
  contentLength: string;
  /** Content-Length was given again with another value (the first one is `contentLength`). */
  conflictingLength: boolean;
  transferEncoding: string;
  /** Undefined when the header is absent ('' when it is present but empty: refused). */
  idempotencyKey: string | undefined;
  ifMatch: string;
  /** Every Prefer header, joined with commas (RFC 9110 §5.3: a list header may be split). */
  prefer: string;
}

/** Reads the write headers in one pass over the request's headers (req is valid synchronously only). */
export function readWriteHeaders(req: HttpRequest): WriteHeaders {
  const headers: WriteHeaders = {
    contentType: '',
    contentLength: '',
    conflictingLength: false,
    transferEncoding: '',
    idempotencyKey: undefined,
    ifMatch: '',
    prefer: '',
  };
  req.forEach((key, value) => {
    // uWebSockets.js hands header names over in lower case; the first of a repeated header counts,
    // except Prefer, a list.
    if (key === 'content-type') headers.contentType ||= value;
    else if (key === 'content-length') {
      if (headers.contentLength === '') headers.contentLength = value;
      else if (value !== headers.contentLength) headers.conflictingLength = true;
    } else if (key === 'transfer-encoding') headers.transferEncoding ||= value;
    else if (key === 'idempotency-key') headers.idempotencyKey ??= value;
    else if (key === 'if-match') headers.ifMatch ||= value;
    else if (key === 'prefer') headers.prefer = headers.prefer === '' ? value : `${headers.prefer},${value}`;
  });
  return headers;
}

/** IETF httpapi idempotency-key draft, as this service bounds it: 1 to 255 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function validIdempotencyKey(key: string): boolean {
  return IDEMPOTENCY_KEY.test(key);
}

/**
 * The media type of a Content-Type header, lower case, when its charset (if named) is UTF-8; undefined
 * for another charset, which JSON may not use (RFC 8259 §8.1).
 */
export function mediaType(contentType: string): string | undefined {
  const [type = '', ...parameters] = contentType.split(';');
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return undefined;
  }
  return type.trim().toLowerCase();
}

const WAIT = /^wait\s*=\s*"?([0-9]{1,9})"?$/i;

/**
 * The `wait` preference of a Prefer header in whole seconds (RFC 7240 §4.3), capped at `max`; 0 when
 * absent. Other preferences (respond-async, return=...) are ignored, as RFC 7240 allows.
 */
export function preferredWait(prefer: string, max: number): number {
  if (prefer === '') return 0;
  for (const preference of prefer.split(',')) {
    const match = WAIT.exec(preference.split(';')[0]!.trim());
    if (match) return Math.min(Number(match[1]), max);
  }
  return 0;
}
