import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { defineModel } from '../model.js';

const p = defineEntity.properties;

/** What a write does to its collection: POST, PATCH, DELETE. */
export const WRITE_OPS = ['create', 'update', 'delete'] as const;
export type WriteOp = (typeof WRITE_OPS)[number];

/** Queued until the applier records its outcome, in the same transaction as its effect. */
export const WRITE_STATUSES = ['queued', 'applied', 'rejected'] as const;
export type WriteStatus = (typeof WRITE_STATUSES)[number];

/** A rejection's messages: by body field, or `_` for the write as a whole. */
export type WriteErrors = Readonly<Record<string, string>>;

/**
 * One write accepted by the fast service (issue 15) and its outcome. With the table queue (no Redis)
 * the row is the queue entry itself, inserted `queued` when the write is accepted and updated by the
 * applier; with Redis the applier inserts it, with the id the queue gave, when it records the outcome.
 * Hot as `writes`: each writer reads (and is pushed) the outcomes of its own writes only.
 */
export const Write = defineEntity({
  name: 'Write',
  tableName: 'writes',
  properties: {
    /** Allocated by the database (table queue) or given by the Redis queue (explicit ids are accepted). */
    id: p.integer().primary().autoincrement(),
    /** The writer's token `sub`, verbatim: a user id in decimal, or `client:<id>`. */
    subject: p.string().length(255),
    /** The hot collection written, e.g. `orders`. */
    collection: p.string().length(64),
    /** One of WRITE_OPS (a string column with a hand-written CHECK, as Order.status). */
    op: p.string().length(8).$type<WriteOp>(),
    /** The target (update, delete); the created record's id once a create is applied. */
    recordId: p.string().length(64).nullable(),
    /** One of WRITE_STATUSES (a string column with a hand-written CHECK). */
    status: p.string().length(16).$type<WriteStatus>(),
    /** The answer the outcome maps to: 201, 200, 204, 403, 404, 409, 412 or 422; null while queued. */
    httpStatus: p.integer().nullable(),
    /** A rejection's messages, `{ "<field or _>": "message" }`; `json` (not jsonb): the feed embeds it verbatim. */
    errors: p.json<WriteErrors>().columnType('json').nullable(),
    /** The validated request body (null for a delete): the table queue's payload, and an idempotent retry's comparison. */
    body: p.json<Record<string, unknown>>().columnType('json').nullable(),
    /** sha256 hex of method + path + body bytes: a retry with the same Idempotency-Key must match it. */
    bodyHash: p.string().length(64),
    /** The client's Idempotency-Key: unique per subject; cleared 24 h after acceptance. */
    idempotencyKey: p.string().length(255).nullable(),
    /** The If-Match ETag the write was sent with: applied only if the record still has it. */
    ifMatch: p.string().length(64).nullable(),
    /** The token's `sid`. */
    sessionId: p.string().length(64).nullable(),
    /**
     * The row-access claim value the write was sent with (the owner it creates or may touch), when the
     * collection's rows have owners: the table queue hands it back to the applier. Not served.
     */
    ownerKey: p.string().length(255).nullable(),
    /** The queue partition (0..WRITE_PARTITIONS-1): writes of one record share one, so they apply in order. */
    partition: p.integer(),
    acceptedAt: p.datetime().length(3),
    appliedAt: p.datetime().length(3).nullable(),
  },
  uniques: [
    // Decides an idempotent retry (same key, same subject) atomically; NULL keys never collide. Also
    // the index for a subject's writes (its leading column).
    { name: 'writes_subject_idempotency_key_unique', properties: ['subject', 'idempotencyKey'] },
  ],
  indexes: [
    // The table queue: the queued writes of a partition, in id order.
    { name: 'writes_queue_idx', properties: ['status', 'partition', 'id'] },
    // The hourly purge: keys older than 24 h, outcomes older than the retention.
    { name: 'writes_accepted_at_idx', properties: ['acceptedAt'] },
  ],
});

export type Write = InferEntity<typeof Write>;

/**
 * How long a write's outcome stays in the fast service's memory after it is settled (its list, its
 * topic, GET by id from memory): long enough for `Prefer: wait` and for polling. Every write adds a
 * row, so keeping the whole WRITE_RETENTION_SECONDS (7 days) hot would let one writer at the rate
 * limit grow every replica by gigabytes a day. An older outcome is read from the database on request.
 */
export const WRITE_HOT_SECONDS = 900;

/** Writes: served as `writes`, each to its writer only; shown read-only in the admin. */
export const writeModel = defineModel(Write, {
  hot: {
    collection: 'writes',
    fields: {
      id: 'id',
      status: 'status',
      collection: 'collection',
      op: 'op',
      recordId: 'recordId',
      httpStatus: 'httpStatus',
      errors: 'errors',
      acceptedAt: 'acceptedAt',
      appliedAt: 'appliedAt',
      subject: 'subject',
    },
    scope: 'writes:read',
    // A write's outcome is its writer's: the token whose `sub` is the row's subject (users and machine
    // clients alike).
    rowAccess: { field: 'subject', claim: 'subject' },
    // Queued writes (no appliedAt yet) stay hot until settled.
    hotWindow: { property: 'appliedAt', seconds: WRITE_HOT_SECONDS },
    schema: {
      // String columns with CHECKs (see above), so the values are stated here for the OpenAPI document.
      status: { enum: [...WRITE_STATUSES] },
      op: { enum: [...WRITE_OPS] },
      httpStatus: { enum: [200, 201, 204, 403, 404, 409, 412, 422, null] },
      errors: {
        type: ['object', 'null'],
        additionalProperties: { type: 'string' },
        description: 'Why it was rejected: a message per body field, or under "_" for the write as a whole.',
      },
      recordId: { description: 'The target record; for a create, the new record once applied.' },
    },
  },
  admin: {
    navigation: 'Sales',
    icon: 'Inbox',
    viewOnly: true,
    listProperties: ['id', 'status', 'collection', 'op', 'subject', 'httpStatus', 'acceptedAt', 'appliedAt'],
    filterProperties: ['q', 'status', 'collection', 'op', 'acceptedAt'],
    searchFields: ['subject', 'collection', 'recordId'],
    titleProperty: 'id',
    defaultSort: { sortBy: 'id', direction: 'desc' },
    propertyLabels: {
      subject: 'By',
      recordId: 'Record id',
      httpStatus: 'HTTP status',
      acceptedAt: 'Accepted',
      appliedAt: 'Applied',
      bodyHash: 'Body hash',
      ifMatch: 'If-Match',
      sessionId: 'Session',
      ownerKey: 'Owner',
    },
    descriptions: {
      subject: 'The token subject of the writer: a user id, or client:<id> for a machine client.',
    },
  },
});
