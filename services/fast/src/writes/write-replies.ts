import { jsonError, type Reply } from '../http/respond.js';
import type { FieldErrors } from './body-validator.js';

/** Where a write's outcome is read (and pushed: WebSocket topic `writes/{id}`). */
export const writeLocation = (id: number): string => `/v1/writes/${id}`;

/** 202: durable in the queue, not applied yet. */
export function accepted(id: number, extra: Reply['headers'] = []): Reply {
  return {
    status: 202,
    body: `{"id":${id},"status":"queued"}`,
    headers: [['Location', writeLocation(id)], ...extra],
  };
}

/** A refusal with field errors: `{"error", "message", "errors": {field: message}}`. */
export function withFieldErrors(status: number, error: string, message: string, errors: FieldErrors): Reply {
  return { status, body: JSON.stringify({ error, message, errors }) };
}

export function validationFailed(errors: FieldErrors): Reply {
  return withFieldErrors(422, 'validation_failed', 'The body is not a valid write: see errors.', errors);
}

export function methodNotAllowed(allow: readonly string[], what: string): Reply {
  return jsonError(405, 'method_not_allowed', `${what} supports ${allow.join(', ')} only.`, [
    ['Allow', allow.join(', ')],
  ]);
}

/** 415, naming the media types this method takes (`Accept-Post` / `Accept-Patch`, RFC 5789 §3.1). */
export function unsupportedMediaType(method: 'POST' | 'PATCH', accepted: readonly string[]): Reply {
  return jsonError(
    415,
    'unsupported_media_type',
    `Send the body as ${accepted.join(' or ')} (Content-Type header, UTF-8).`,
    [[method === 'POST' ? 'Accept-Post' : 'Accept-Patch', accepted.join(', ')]],
  );
}

export function contentTooLarge(maxBytes: number): Reply {
  return jsonError(413, 'body_too_large', `The body is larger than ${maxBytes} bytes.`);
}

export function invalidJson(detail: string): Reply {
  return jsonError(400, 'invalid_json', `The body is not JSON: ${detail}`);
}

/** 400: one object of the body holds a key twice (JSON.parse would keep the last without a word). */
export function duplicateKey(key: string, at: string): Reply {
  const where = at === '' ? 'the body' : `the object at ${at}`;
  return jsonError(
    400,
    'duplicate_key',
    `The key ${JSON.stringify(key)} appears twice in ${where}: send each key once.`,
  );
}

/**
 * 400: two Content-Length headers that disagree (RFC 9112 §6.3: an unrecoverable framing error). A
 * proxy in front that took the other one would cut the body elsewhere: the rest of this connection's
 * bytes could be read as another request, so the connection is closed with this answer.
 */
export function conflictingContentLength(): Reply {
  return jsonError(
    400,
    'conflicting_content_length',
    'Content-Length is given more than once with different values; send it once.',
  );
}

export function invalidIdempotencyKey(): Reply {
  return jsonError(
    400,
    'invalid_idempotency_key',
    'Idempotency-Key must be 1 to 255 visible ASCII characters (e.g. a UUID).',
  );
}

export function idempotencyKeyReused(): Reply {
  return jsonError(
    422,
    'idempotency_key_reused',
    'This Idempotency-Key was already used for another request (another body or URL); use a new key.',
  );
}

export function preconditionFailed(): Reply {
  return jsonError(
    412,
    'precondition_failed',
    'The record has changed since you read it (If-Match does not match its ETag); read it again.',
  );
}

/** 429 `rate_limited` with Retry-After in whole seconds (at least 1). */
function rateLimited(what: string, retryAfterMs: number): Reply {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return jsonError(429, 'rate_limited', `${what}; retry in ${seconds} s.`, [
    ['Retry-After', String(seconds)],
  ]);
}

export function tooManyWrites(retryAfterMs: number): Reply {
  return rateLimited('Too many writes', retryAfterMs);
}

export function tooManyLookups(retryAfterMs: number): Reply {
  return rateLimited('Too many lookups of writes that are not applied yet', retryAfterMs);
}

export function queueFull(): Reply {
  return jsonError(503, 'queue_full', 'Too many writes are waiting to be applied; retry shortly.', [
    ['Retry-After', '1'],
  ]);
}

export function queueUnavailable(): Reply {
  return jsonError(
    503,
    'queue_unavailable',
    'The write could not be queued (the queue is unreachable); it was not accepted. Retry shortly.',
    [['Retry-After', '1']],
  );
}
