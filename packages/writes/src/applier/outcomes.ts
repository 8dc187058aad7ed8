import type { EntityManager } from './handler.js';
import { Write, type WriteErrors, type WriteStatus } from '@tandem/models';
import type { WriteRequest } from '../write-request.js';

/** How one write ended: the row the writer reads as `GET /v1/writes/{id}`. */
export interface Outcome {
  readonly write: WriteRequest;
  readonly status: Exclude<WriteStatus, 'queued'>;
  readonly httpStatus: number;
  /** The record written; for a create, the new record's id (null when the create was rejected). */
  readonly recordId: string | null;
  readonly errors: WriteErrors | null;
}

/** Two appliers took the same write (a lease lost mid-batch): this batch must not commit. */
export class WriteTakenError extends Error {
  override name = 'WriteTakenError';
}

/**
 * The `writes` rows of a batch as they stand: status by id. A write with an outcome already was
 * applied or rejected by an earlier delivery (its effect committed with that outcome), so it is
 * skipped; a `queued` row is the table queue's entry; no row is a write queued in Redis.
 */
export async function writeStatuses(
  em: EntityManager,
  ids: readonly number[],
): Promise<Map<number, WriteStatus>> {
  const rows = await em
    .createQueryBuilder(Write)
    .select(['id', 'status'])
    .where({ id: { $in: [...ids] } })
    .execute('all');
  return new Map(rows.map((row) => [Number(row.id), row.status]));
}

/**
 * Writes the batch's outcomes in its transaction: the table queue's rows are updated from `queued`
 * (0 rows means another applier recorded it first, so the batch is abandoned and retried, and its
 * effects are rolled back), Redis's writes get their row inserted with the queue's id (a duplicate id
 * fails the insert, and so the batch, for the same reason). `releaseKeys: false` leaves an
 * Idempotency-Key an old row still holds in place, so the insert fails on it (see releaseIdempotencyKeys).
 */
export async function recordOutcomes(
  em: EntityManager,
  outcomes: readonly Outcome[],
  queuedInTable: ReadonlySet<number>,
  options: { readonly releaseKeys: boolean },
): Promise<void> {
  const appliedAt = new Date();
  const inserts = [];
  for (const outcome of outcomes) {
    const result = {
      status: outcome.status,
      httpStatus: outcome.httpStatus,
      recordId: outcome.recordId,
      errors: outcome.errors,
      appliedAt,
    };
    const { write } = outcome;
    if (queuedInTable.has(write.id)) {
      const updated = await em.nativeUpdate(Write, { id: write.id, status: 'queued' }, result);
      if (updated !== 1) throw new WriteTakenError(`write ${write.id} was recorded by another applier`);
      continue;
    }
    inserts.push({
      ...result,
      id: write.id,
      subject: write.subject,
      ownerKey: write.ownerKey,
      collection: write.collection,
      op: write.op,
      body: write.body === null ? null : { ...write.body },
      bodyHash: write.bodyHash,
      idempotencyKey: write.idempotencyKey,
      ifMatch: write.ifMatch,
      sessionId: write.sessionId,
      partition: write.partition,
      acceptedAt: new Date(write.acceptedAt),
    });
  }
  if (inserts.length === 0) return;
  if (options.releaseKeys) await releaseIdempotencyKeys(em, inserts);
  // The driver's multi-row INSERT directly: em.insertMany would first walk every row's values deeply
  // (looking for entities to turn into ids; these rows hold none), a cost per write.
  await em.getDriver().nativeInsertMany(Write.meta.className, inserts, { ctx: em.getTransactionContext() });
}

/**
 * Redis keeps an Idempotency-Key 24 h; an outcome row keeps it until the hourly purge clears it. A
 * key reused after Redis forgot it (a new write) must not fail on the row of the old one, which would
 * fail every retry of this batch: the old rows give the key up here (the new write holds it now).
 */
async function releaseIdempotencyKeys(
  em: EntityManager,
  inserts: readonly { id: number; subject: string; idempotencyKey: string | null }[],
): Promise<void> {
  const keyed = inserts.flatMap((row) =>
    row.idempotencyKey === null ? [] : [{ subject: row.subject, idempotencyKey: row.idempotencyKey }],
  );
  if (keyed.length === 0) return;
  await em.nativeUpdate(
    Write,
    { $or: keyed, id: { $nin: inserts.map((row) => row.id) } },
    { idempotencyKey: null },
  );
}
