import type { HotProjection } from '../hot/projections.js';
import type { JsonSchema } from '../model.js';
import { jsonContent, ref, responseRef } from './document.js';
import type { WriteBodySchemas } from './write-schemas.js';

/** The collection of write outcomes (the `Write` entity): GET /v1/writes/{id} is its record path. */
export const WRITES_COLLECTION = 'writes';

/**
 * The machine codes of the answers to POST, PATCH and DELETE (issue 15), by the status they come
 * with; the fast service answers with these and the document lists them.
 */
export const WRITE_ERROR_CODES = {
  /**
   * 400: the body is not JSON, one of its objects holds a key twice, the Idempotency-Key is not 1–255
   * visible ASCII characters, or Content-Length is given twice with different values.
   */
  BadWrite: ['invalid_json', 'duplicate_key', 'invalid_idempotency_key', 'conflicting_content_length'],
  /**
   * 403: the token lacks the collection's write scope (insufficient_scope, nothing queued), or, when
   * applied, its session had been revoked since (session_revoked: a password change, a deactivation, a
   * staff member's revoke; not its holder's own logout), so the write took no effect.
   */
  WriteForbidden: ['insufficient_scope', 'session_revoked'],
  /** 404 when applied: the record was deleted (or is another owner's) before the write got to it. */
  WriteNotFound: ['not_found'],
  /**
   * 409 when applied: the record is in a state the change does not apply to (cancelling a shipped
   * order), or a new order would take its buyer's unpaid orders past ORDER_HOLD_MAX_UNITS units of stock.
   */
  Conflict: ['conflict'],
  /** 412, at once or when applied: If-Match names another version of the record than the current one. */
  PreconditionFailed: ['precondition_failed'],
  /** 413: the body is larger than WRITE_MAX_BODY_BYTES. */
  PayloadTooLarge: ['body_too_large'],
  /** 415: the body is not application/json (nor application/merge-patch+json for PATCH). */
  UnsupportedMediaType: ['unsupported_media_type'],
  /**
   * 422: the body breaks the collection's write schema (validation_failed, nothing queued), the
   * Idempotency-Key was used with another body (idempotency_key_reused), or the write was rejected
   * when applied (rejected: out of stock, a product not for sale...). `errors` says why, per field.
   */
  Unprocessable: ['validation_failed', 'idempotency_key_reused', 'rejected'],
  /**
   * 429: this subject sends writes faster than WRITE_RATE_PER_SECOND, or asks GET /v1/writes/{id} for
   * writes not in the store (still queued, or unknown) faster than that.
   */
  TooManyWrites: ['rate_limited'],
  /**
   * 503: the queue holds more writes than WRITE_QUEUE_MAX_DEPTH (queue_full), could not be reached
   * (queue_unavailable: nothing was accepted), or the service is not ready yet.
   */
  WritesUnavailable: ['queue_full', 'queue_unavailable', 'not_ready', 'keys_not_loaded'],
} as const;

const retryAfter = {
  'Retry-After': { schema: { type: 'integer', minimum: 1 }, description: 'Seconds to wait before retrying.' },
};
const preferenceApplied = {
  'Preference-Applied': {
    schema: { type: 'string', examples: ['wait=5'] },
    description: 'Present when the request waited for the outcome (`Prefer: wait=N`).',
  },
};

function writeError(
  description: string,
  codes: readonly string[],
  headers: Record<string, unknown> = {},
  withFieldErrors = false,
) {
  return {
    description,
    ...(Object.keys(headers).length > 0 && { headers }),
    content: jsonContent({
      allOf: [ref(withFieldErrors ? 'WriteError' : 'Error'), { properties: { error: { enum: [...codes] } } }],
    }),
  };
}

/** The answers every write operation shares, as components.responses. */
export const writeResponses = {
  BadWrite: writeError(
    'The body is not JSON, one of its objects holds a key twice, the Idempotency-Key is not 1–255 visible ASCII characters, or Content-Length is given twice with different values.',
    WRITE_ERROR_CODES.BadWrite,
  ),
  WriteForbidden: writeError(
    'The token lacks the write scope (nothing was queued), or its session was revoked before the write was applied (session_revoked: no effect).',
    WRITE_ERROR_CODES.WriteForbidden,
    preferenceApplied,
    true,
  ),
  WriteNotFound: writeError(
    'No such record (or another owner’s: the same answer), at once or when the write was applied.',
    WRITE_ERROR_CODES.WriteNotFound,
    preferenceApplied,
    true,
  ),
  Conflict: writeError(
    'Applied and refused: the record is in a state this change does not apply to.',
    WRITE_ERROR_CODES.Conflict,
    preferenceApplied,
    true,
  ),
  PreconditionFailed: writeError(
    'If-Match names another version of the record than the current one (checked at once, and again when applied).',
    WRITE_ERROR_CODES.PreconditionFailed,
    preferenceApplied,
    true,
  ),
  PayloadTooLarge: writeError('The body is too large.', WRITE_ERROR_CODES.PayloadTooLarge),
  UnsupportedMediaType: writeError(
    'The body must be application/json (PATCH: application/merge-patch+json or application/json).',
    WRITE_ERROR_CODES.UnsupportedMediaType,
  ),
  Unprocessable: writeError(
    'The body breaks the write schema (nothing was queued), the Idempotency-Key was used with another body, or the write was rejected when applied; `errors` holds a message per field ("_" for the whole write).',
    WRITE_ERROR_CODES.Unprocessable,
    preferenceApplied,
    true,
  ),
  TooManyWrites: writeError(
    'Too many writes (or lookups of writes not applied yet) from this subject; retry later.',
    WRITE_ERROR_CODES.TooManyWrites,
    retryAfter,
  ),
  WritesUnavailable: writeError(
    'The write queue is full or unreachable (nothing was accepted), or the service is not ready; retry later, with the same Idempotency-Key.',
    WRITE_ERROR_CODES.WritesUnavailable,
    retryAfter,
  ),
};

/** Request headers of every write, as components.parameters. */
export const writeParameters = {
  idempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    description:
      'Makes a retry safe (IETF httpapi idempotency-key draft): the same key with the same body, by the same subject within 24 h, answers for the first write instead of writing again; with another body, 422 idempotency_key_reused.',
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' },
  },
  ifMatch: {
    name: 'If-Match',
    in: 'header',
    description:
      'The ETag of the version this change is based on (from GET): refused with 412 if the record changed before the write is applied.',
    schema: { type: 'string' },
  },
  prefer: {
    name: 'Prefer',
    in: 'header',
    description:
      'RFC 7240 `wait=N`: wait up to N seconds (at most WRITE_WAIT_MAX_SECONDS) for the outcome and answer with it instead of 202.',
    schema: { type: 'string', examples: ['wait=5'] },
  },
};

/** The component schemas every write answer uses. */
export const writeSchemas: Record<string, JsonSchema> = {
  WriteAccepted: {
    type: 'object',
    description:
      'The write is durably queued; its outcome comes at GET /v1/writes/{id} and on the topic writes/{id}.',
    required: ['id', 'status'],
    properties: {
      id: { type: 'integer', minimum: 1 },
      status: { const: 'queued' },
    },
    additionalProperties: false,
  },
  WriteError: {
    allOf: [
      ref('Error'),
      {
        properties: {
          errors: {
            type: 'object',
            additionalProperties: { type: 'string' },
            description: 'A message per body field, or under "_" for the write as a whole.',
          },
        },
      },
    ],
  },
};

const accepted = {
  description:
    'Queued durably (the outcome is at the Location); also the answer when `Prefer: wait=N` ran out first (then with Preference-Applied), and to a retry with the same Idempotency-Key.',
  headers: {
    Location: {
      schema: { type: 'string', examples: ['/v1/writes/42'] },
      description: 'The write’s outcome.',
    },
    ...preferenceApplied,
  },
  content: jsonContent(ref('WriteAccepted')),
};

const common = {
  '202': accepted,
  '400': responseRef('BadWrite'),
  '401': responseRef('Unauthorized'),
  '403': responseRef('WriteForbidden'),
  '413': responseRef('PayloadTooLarge'),
  '414': responseRef('Refused'),
  '422': responseRef('Unprocessable'),
  '429': responseRef('TooManyWrites'),
  '431': responseRef('Refused'),
  '503': responseRef('WritesUnavailable'),
};

/** A DELETE has no body, so it is never too large. */
const withoutBody = Object.fromEntries(Object.entries(common).filter(([status]) => status !== '413'));

const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };
const header = (name: keyof typeof writeParameters) => ({ $ref: `#/components/parameters/${name}` });

function ownerNote(hot: HotProjection): string {
  const rule = hot.rowAccess;
  return rule
    ? ` The record's \`${rule.field}\` is the caller's (from the token), never taken from the body; another owner's record answers 404.`
    : '';
}

/**
 * POST, PATCH and DELETE of a collection that declares writes, with the component schemas of its
 * bodies (`{Name}Create`, `{Name}Patch`, from writeBodySchemas). Paths are keyed like collectionPaths'
 * so the caller merges the methods into them.
 */
export function writePaths(
  hot: HotProjection,
  schemaName: string,
  bodies: WriteBodySchemas,
  outcomeSchema?: string,
): { paths: Record<string, Record<string, unknown>>; schemas: Record<string, JsonSchema> } {
  const writes = hot.writes;
  if (!writes) return { paths: {}, schemas: {} };
  // A record applied but not served (a row filter hides it: an unpublished product) is answered with
  // the write's outcome instead.
  const applied = outcomeSchema ? { anyOf: [ref(schemaName), ref(outcomeSchema)] } : ref(schemaName);
  const security = [{ bearer: [writes.scope] }];
  const tags = [hot.collection];
  const waited = (description: string, schema?: JsonSchema, location = false) => ({
    description,
    headers: {
      ...preferenceApplied,
      ...(location && {
        Location: { schema: { type: 'string' }, description: 'The new record, e.g. /v1/orders/7.' },
      }),
      ...(schema && { ETag: { schema: { type: 'string' }, description: 'As GET answers it.' } }),
    },
    ...(schema && { content: jsonContent(schema) }),
  });
  const schemas: Record<string, JsonSchema> = {};
  const collection: Record<string, unknown> = {};
  const record: Record<string, unknown> = {};
  if (writes.create && bodies.create) {
    schemas[`${schemaName}Create`] = bodies.create;
    collection.post = {
      operationId: `create_${hot.collection}`,
      summary: `Create a ${hot.collection} record (queued, applied by the source of truth)`,
      description: `Validated at once against ${schemaName}Create; business rules are checked when the write is applied.${ownerNote(hot)}`,
      tags,
      security,
      parameters: [header('idempotencyKey'), header('prefer')],
      requestBody: { required: true, content: jsonContent(ref(`${schemaName}Create`)) },
      responses: {
        '201': waited(
          'Applied (Prefer: wait): the new record, exactly as GET serves it (or the write’s outcome if the collection does not show the record, or the token may not read the collection).',
          applied,
          true,
        ),
        ...common,
        '409': responseRef('Conflict'),
        '415': responseRef('UnsupportedMediaType'),
      },
    };
  }
  const targetErrors = {
    '404': responseRef('WriteNotFound'),
    '409': responseRef('Conflict'),
    '412': responseRef('PreconditionFailed'),
  };
  if (writes.update && bodies.update) {
    schemas[`${schemaName}Patch`] = bodies.update;
    const patch = ref(`${schemaName}Patch`);
    record.patch = {
      operationId: `update_${hot.collection}`,
      summary: `Change a ${hot.collection} record (JSON Merge Patch, queued)`,
      description: `A JSON Merge Patch (RFC 7396) validated at once against ${schemaName}Patch.${ownerNote(hot)}`,
      tags,
      security,
      parameters: [idParameter, header('ifMatch'), header('idempotencyKey'), header('prefer')],
      requestBody: {
        required: true,
        content: { ...jsonContent(patch, undefined, 'application/merge-patch+json'), ...jsonContent(patch) },
      },
      responses: {
        '200': waited(
          'Applied (Prefer: wait): the record, exactly as GET serves it (or the write’s outcome if the collection no longer shows it, or the token may not read the collection).',
          applied,
        ),
        ...common,
        ...targetErrors,
        '415': responseRef('UnsupportedMediaType'),
      },
    };
  }
  if (writes.delete === true) {
    record.delete = {
      operationId: `delete_${hot.collection}`,
      summary: `Delete a ${hot.collection} record (queued)`,
      ...(hot.rowAccess && { description: ownerNote(hot).trim() }),
      tags,
      security,
      parameters: [idParameter, header('ifMatch'), header('idempotencyKey'), header('prefer')],
      responses: {
        '204': waited('Applied (Prefer: wait): the record is deleted.'),
        ...withoutBody,
        ...targetErrors,
      },
    };
  }
  const paths: Record<string, Record<string, unknown>> = {};
  if (Object.keys(collection).length > 0) paths[`/v1/${hot.collection}`] = collection;
  if (Object.keys(record).length > 0) paths[`/v1/${hot.collection}/{id}`] = record;
  return { paths, schemas };
}
