import type { Orm } from '@tandem/models';
import type { WriteOp, WriteRequest } from './write-request.js';

export type Knex = ReturnType<Orm['em']['getKnex']>;
export type Dialect = 'sqlite' | 'postgresql';

/** The `writes` table (entity Write in @tandem/models) as the table queue reads and writes it. */
export const WRITES_TABLE = 'writes';

/** A `writes` row as the drivers hand it back (PostgreSQL: Date and parsed JSON; SQLite: ms and text). */
export interface QueuedRow {
  id: number | string;
  collection: string;
  op: string;
  record_id: string | null;
  body: string | Record<string, unknown> | null;
  subject: string;
  owner_key: string | null;
  session_id: string | null;
  if_match: string | null;
  idempotency_key: string | null;
  body_hash: string;
  partition: number | string;
  accepted_at: Date | number | string;
}

export const QUEUED_COLUMNS = [
  'id',
  'collection',
  'op',
  'record_id',
  'body',
  'subject',
  'owner_key',
  'session_id',
  'if_match',
  'idempotency_key',
  'body_hash',
  'partition',
  'accepted_at',
] as const;

/** The row a newly accepted write inserts (status queued; the database gives the id). */
export function queuedRow(
  write: Omit<WriteRequest, 'id' | 'partition'>,
  partition: number,
  dialect: Dialect,
): Record<string, string | number | Date | null> {
  const acceptedAt = new Date(write.acceptedAt);
  return {
    subject: write.subject,
    collection: write.collection,
    op: write.op,
    record_id: write.recordId,
    status: 'queued',
    body: write.body === null ? null : JSON.stringify(write.body),
    body_hash: write.bodyHash,
    idempotency_key: write.idempotencyKey,
    if_match: write.ifMatch,
    session_id: write.sessionId,
    owner_key: write.ownerKey,
    partition,
    // As MikroORM stores a datetime: epoch milliseconds in SQLite, a timestamp in PostgreSQL.
    accepted_at: dialect === 'sqlite' ? acceptedAt.getTime() : acceptedAt,
  };
}

export function writeOfRow(row: QueuedRow): WriteRequest {
  const body = typeof row.body === 'string' ? (JSON.parse(row.body) as Record<string, unknown>) : row.body;
  const acceptedAt =
    row.accepted_at instanceof Date
      ? row.accepted_at.getTime()
      : typeof row.accepted_at === 'number'
        ? row.accepted_at
        : Date.parse(row.accepted_at);
  return {
    id: Number(row.id),
    collection: row.collection,
    op: row.op as WriteOp,
    recordId: row.record_id,
    body,
    subject: row.subject,
    ownerKey: row.owner_key,
    sessionId: row.session_id,
    ifMatch: row.if_match,
    idempotencyKey: row.idempotency_key,
    bodyHash: row.body_hash,
    partition: Number(row.partition),
    acceptedAt,
  };
}

/** The highest write id the table holds (0 when empty): the Redis queue's ids never go below it. */
export async function highestWriteId(knex: Knex): Promise<number> {
  const row = (await knex(WRITES_TABLE).max({ top: 'id' }).first()) as
    { top: number | string | null } | undefined;
  return Number(row?.top ?? 0);
}
