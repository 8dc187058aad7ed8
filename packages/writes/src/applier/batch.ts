import type { EntityManager } from './handler.js';
import { compileProjections, recordEtag, type CompiledProjection } from '@tandem/changefeed';
import {
  hotProjections,
  insertAuditEntries,
  recordAudit,
  writeHandlerOf,
  type AuditActor,
  type HotProjection,
  type Orm,
  type WriteStatus,
} from '@tandem/models';
import { securityRevokedSessions } from '@tandem/tokens';
import type { WriteRequest } from '../write-request.js';
import { auditActors } from './actors.js';
import { ExposedFields } from './entity-fields.js';
import type { Dialect, WritableProjection, WriteHandler } from './handler.js';
import { recordOutcomes, writeStatuses, type Outcome } from './outcomes.js';
import { ifMatchHolds, recordJson } from './record-json.js';
import { lockRecord } from './record-lock.js';
import { dataErrorRejection } from './data-error.js';
import { rejectionOf, type Rejection } from './rejection.js';
import { SESSION_REVOKED, WriteRejected } from './write-rejected.js';
import { takeSqliteWriteLock } from './sqlite-write-lock.js';

/** What one batch did. */
export interface BatchResult {
  readonly applied: number;
  readonly rejected: number;
  /** Redelivered writes whose outcome an earlier delivery had already committed. */
  readonly skipped: number;
  readonly outcomes: readonly Outcome[];
  /** Writes decided by a handler's bulk path (applyRun) rather than one by one. */
  readonly inRuns: number;
  /**
   * Runs whose statements failed: the batch's transaction was rolled back and the batch redone write
   * by write (each in its savepoint).
   */
  readonly runsRedone: number;
  /**
   * A batch of first deliveries whose first attempt failed (ApplyOptions.firstDeliveries): 1 when it
   * was done again with the outcome read and the key release, else 0.
   */
  readonly recheckedRedone: number;
}

/** A run's statement failed: the batch's transaction must be rolled back and the batch redone write by write. */
class RunFailed extends Error {
  override name = 'RunFailed';
}

/** How apply() treats a batch. */
export interface ApplyOptions {
  /** The writes are not applied, only recorded with this rejection (a write given up on). */
  readonly forced?: Rejection;
  /**
   * Every write is a first delivery (QueuedWrite.firstDelivery): the batch is first tried without
   * reading the writes' outcome rows or freeing their Idempotency-Keys (two statements fewer), which
   * is safe because the outcome rows' unique id and key refuse what those statements are there for (a
   * write recorded already, a key an old row still holds); that failure rolls the attempt back, and
   * the batch is done again with both statements.
   */
  readonly firstDeliveries?: boolean;
}

/** What one transaction of apply() does. */
interface Attempt {
  readonly forced: Rejection | undefined;
  /** Handlers' runs are applied together (else every write in its savepoint). */
  readonly inRuns: boolean;
  /** Outcome rows are not read, and Idempotency-Keys not freed, first (see ApplyOptions). */
  readonly trusting: boolean;
}

/** A collection that takes writes, ready to apply them. */
interface Target {
  readonly projection: WritableProjection;
  readonly compiled: CompiledProjection;
  readonly fields: ExposedFields;
  readonly handler: WriteHandler;
}

/** The sessions a batch's writes were sent with (machine writes without one are left out). */
function sessionIdsOf(writes: readonly WriteRequest[]): string[] {
  return writes.flatMap((write) => (write.sessionId === null ? [] : [write.sessionId]));
}

/** Whether the declaration lets this operation through at all (the edge checks it first: 405). */
function opDeclared(projection: WritableProjection, op: WriteRequest['op']): boolean {
  const { writes } = projection;
  return op === 'create'
    ? writes.create !== undefined
    : op === 'update'
      ? writes.update !== undefined
      : writes.delete === true;
}

/**
 * Applies batches of writes: one transaction per batch, a savepoint per write, the outcomes in the
 * same transaction as the effects. Holds what every batch needs: the writable collections with their
 * handlers and compiled projections (for If-Match, the record's JSON exactly as the feed builds it).
 */
export class BatchApplier {
  private readonly targets = new Map<string, Target>();

  constructor(
    private readonly orm: Orm,
    /** The ORM's database (config.database.dialect). */
    readonly dialect: Dialect,
    handlers: ReadonlyMap<string, WriteHandler>,
    projections: readonly HotProjection[] = hotProjections,
  ) {
    const compiled = compileProjections(
      projections,
      (name) => orm.getMetadata().find(name) ?? undefined,
      this.dialect,
    );
    for (const [index, projection] of projections.entries()) {
      if (projection.writes === undefined) continue;
      const writable = projection as WritableProjection;
      const handlerName = writeHandlerOf(writable.writes);
      const handler = handlers.get(handlerName);
      if (handler === undefined)
        throw new Error(
          `The ${projection.collection} collection's writes name the handler ${JSON.stringify(handlerName)}, which the applier does not have (it has ${[...handlers.keys()].join(', ')}).`,
        );
      this.targets.set(projection.collection, {
        projection: writable,
        compiled: compiled[index]!,
        fields: new ExposedFields(writable),
        handler,
      });
    }
  }

  /** The collections this applier writes. */
  get collections(): string[] {
    return [...this.targets.keys()];
  }

  /**
   * One transaction: writes whose outcome already exists are skipped (exactly one effect per write,
   * however often it is delivered), every other write is applied in the order given, then the outcomes
   * are recorded; all of it commits together or not at all. Consecutive writes a handler takes
   * together (a run) are applied with a few multi-row statements, other writes each in its own
   * savepoint. A run is not in a savepoint (two round trips fewer per batch): if one of its
   * statements fails, the whole transaction is rolled back and the batch redone write by write, where
   * a write the database refuses is rejected alone. With `forced`, the writes are not applied, only
   * recorded with that rejection (see ApplyOptions).
   */
  async apply(writes: readonly WriteRequest[], options: ApplyOptions = {}): Promise<BatchResult> {
    const { forced } = options;
    const trusting = options.firstDeliveries === true && forced === undefined;
    try {
      return await this.applyInOneTransaction(writes, { forced, inRuns: true, trusting });
    } catch (error) {
      if (error instanceof RunFailed)
        return {
          ...(await this.applyInOneTransaction(writes, { forced, inRuns: false, trusting: false })),
          runsRedone: 1,
        };
      if (!trusting) throw error;
    }
    // Whatever failed the trusting attempt (a unique outcome row, or anything else), the careful one
    // decides: it fails alike when the cause was not one of the two it checks.
    return { ...(await this.apply(writes, { forced })), recheckedRedone: 1 };
  }

  private async applyInOneTransaction(
    writes: readonly WriteRequest[],
    attempt: Attempt,
  ): Promise<BatchResult> {
    const { forced, inRuns, trusting } = attempt;
    const bulk = inRuns && forced === undefined;
    return this.orm.em.fork().transactional(async (em) => {
      if (this.dialect === 'sqlite') await takeSqliteWriteLock(em);
      const statuses = trusting
        ? new Map<number, WriteStatus>()
        : await writeStatuses(
            em,
            writes.map((write) => write.id),
          );
      const seen = new Set<number>();
      const pending = writes.filter((write) => {
        const status = statuses.get(write.id);
        const first = !seen.has(write.id);
        seen.add(write.id);
        return first && (status === undefined || status === 'queued');
      });
      // Writes of a session revoked since they were accepted are void (SESSION_REVOKED). Read in this
      // transaction: every revocation committed before the read is seen. One that commits while the
      // batch runs is ordered after it (SQLite: the batch holds the write lock, so none can). Locking
      // the sessions against it (FOR SHARE) would make every batch write to its writers' session rows.
      const voided =
        forced === undefined ? await securityRevokedSessions(em, sessionIdsOf(pending)) : new Set<string>();
      const outcomes: Outcome[] = [];
      const live: WriteRequest[] = [];
      for (const write of pending) {
        if (write.sessionId !== null && voided.has(write.sessionId))
          outcomes.push({ write, status: 'rejected', recordId: write.recordId, ...SESSION_REVOKED });
        else live.push(write);
      }
      const actors = await auditActors(em, live);
      if (forced === undefined) await this.prepare(em, live, bulk);
      let appliedInRuns = 0;
      for (let start = 0; start < live.length;) {
        const run = bulk ? this.runAt(live, start) : [];
        if (run.length > 1) {
          outcomes.push(...(await this.applyRun(em, run, actors)));
          appliedInRuns += run.length;
          start += run.length;
          continue;
        }
        const write = live[start++]!;
        outcomes.push(
          forced === undefined
            ? await this.applyOne(em, write, actors.get(write.subject))
            : { write, status: 'rejected', recordId: write.recordId, ...forced },
        );
        // Nothing of a write is needed by the next: entities merged back from its savepoint are dropped.
        em.clear();
      }
      const queuedInTable = new Set(
        pending.filter((write) => statuses.get(write.id) === 'queued').map((write) => write.id),
      );
      await recordOutcomes(em, outcomes, queuedInTable, { releaseKeys: !trusting });
      const applied = outcomes.filter((outcome) => outcome.status === 'applied').length;
      return {
        applied,
        rejected: outcomes.length - applied,
        skipped: writes.length - pending.length,
        outcomes,
        inRuns: appliedInRuns,
        runsRedone: 0,
        recheckedRedone: 0,
      };
    });
  }

  /** Lets each handler of the batch prepare once (e.g. take its row locks in a global order). */
  private async prepare(em: EntityManager, writes: readonly WriteRequest[], bulk: boolean): Promise<void> {
    const byHandler = new Map<WriteHandler, WriteRequest[]>();
    for (const write of writes) {
      const target = this.targets.get(write.collection);
      if (target?.handler.prepare === undefined) continue;
      byHandler.set(target.handler, [...(byHandler.get(target.handler) ?? []), write]);
    }
    for (const [handler, handled] of byHandler)
      await handler.prepare!({
        em,
        writes: handled,
        dialect: this.dialect,
        inRuns: bulk && handler.runs !== undefined && handler.applyRun !== undefined,
        onlyHandler: handled.length === writes.length,
      });
  }

  /**
   * The run of writes starting at `start` that one handler applies together (applyRun): consecutive
   * writes of one collection, declared for their operation, that the handler's `runs` takes. A write
   * of anything else (a cancel between creates, another collection) ends the run.
   */
  private runAt(writes: readonly WriteRequest[], start: number): WriteRequest[] {
    const first = writes[start]!;
    const target = this.targets.get(first.collection);
    const { runs, applyRun } = target?.handler ?? {};
    if (target === undefined || runs === undefined || applyRun === undefined) return [];
    const run: WriteRequest[] = [];
    for (let i = start; i < writes.length; i++) {
      const write = writes[i]!;
      if (write.collection !== first.collection || !opDeclared(target.projection, write.op) || !runs(write))
        break;
      run.push(write);
    }
    return run;
  }

  /**
   * A run: the handler decides every write in memory and writes the accepted ones' effects with a few
   * multi-row statements, then their audit entries are inserted at once. If any statement fails (or a
   * verdict is no refusal but an error), RunFailed: the caller rolls the batch back and redoes it
   * write by write (see apply).
   */
  private async applyRun(
    em: EntityManager,
    run: readonly WriteRequest[],
    actors: ReadonlyMap<string, AuditActor>,
  ): Promise<Outcome[]> {
    const target = this.targets.get(run[0]!.collection)!;
    try {
      const verdicts = await target.handler.applyRun!({
        em,
        writes: run,
        projection: target.projection,
        dialect: this.dialect,
      });
      if (verdicts.length !== run.length)
        throw new Error(`${verdicts.length} verdicts for a run of ${run.length} writes`);
      const decided = run.map((write, index): Outcome => {
        const verdict = verdicts[index]!;
        if ('effect' in verdict)
          return {
            write,
            status: 'applied',
            httpStatus: verdict.effect.httpStatus,
            recordId: verdict.effect.recordId,
            errors: null,
          };
        const rejection = rejectionOf(verdict.refused, write.op, target.fields);
        // Not a refusal but a bug or the database: the per-write path decides (or fails the batch).
        if (rejection === undefined) throw verdict.refused;
        return { write, status: 'rejected', recordId: write.recordId, ...rejection };
      });
      await insertAuditEntries(
        em,
        verdicts.flatMap((verdict, index) =>
          'effect' in verdict && (run[index]!.op !== 'update' || Object.keys(verdict.effect.diff).length > 0)
            ? [{ actor: actors.get(run[index]!.subject), ...verdict.effect }]
            : [],
        ),
      );
      return decided;
    } catch (error) {
      // A database that is away fails the redo too, and so the batch, which is retried.
      throw new RunFailed('a run failed; the batch is redone write by write', { cause: error });
    } finally {
      em.clear();
    }
  }

  /** One write in its savepoint: its outcome, or a thrown error that is no verdict on the write. */
  private async applyOne(
    em: EntityManager,
    write: WriteRequest,
    actor: AuditActor | undefined,
  ): Promise<Outcome> {
    const target = this.targets.get(write.collection);
    try {
      // Read-only checks first, outside a savepoint: a refusal here (a flash sale's thousands) costs
      // no SAVEPOINT / ROLLBACK TO round trips.
      if (target === undefined || !opDeclared(target.projection, write.op))
        throw new WriteRejected(422, {
          _: `The ${write.collection} collection does not take this write.`,
        });
      if (write.op !== 'create' && write.ifMatch !== null) await this.checkIfMatch(em, target, write);
      const context = { write, projection: target.projection, actor, dialect: this.dialect };
      await target.handler.check?.({ em, ...context });
      const applying = em.transactional(
        async (savepoint) => {
          const effect = await target.handler.apply({ em: savepoint, ...context });
          if (write.op !== 'update' || Object.keys(effect.diff).length > 0)
            recordAudit(savepoint, {
              actor,
              action: effect.action,
              model: effect.model,
              recordId: effect.recordId,
              diff: effect.diff,
            });
          return {
            write,
            status: 'applied',
            httpStatus: effect.httpStatus,
            recordId: effect.recordId,
            errors: null,
          } satisfies Outcome;
        },
        // A fresh unit of work per write: nothing a rejected write loaded or changed reaches the next.
        { clear: true },
      );
      return await applying.catch((error: unknown) => {
        // Rolled back to the savepoint: a value the database refused there is this write's alone.
        throw dataErrorRejection(error) ?? error;
      });
    } catch (error) {
      const rejection = rejectionOf(error, write.op, target?.fields, target?.compiled);
      if (rejection === undefined) throw error;
      return {
        write,
        status: 'rejected',
        httpStatus: rejection.httpStatus,
        recordId: write.recordId,
        errors: rejection.errors,
      };
    }
  }

  /**
   * If-Match: the record must still be in the state the writer saw, i.e. have the ETag the fast
   * service serves for it now (computed from the feed's JSON, including this batch's earlier writes).
   * The row is locked first (PostgreSQL): a change another writer has not committed yet is waited for
   * and seen, not overwritten by a write that was checked against the row before it (lockRecord).
   */
  private async checkIfMatch(em: EntityManager, target: Target, write: WriteRequest): Promise<void> {
    const id = Number(write.recordId);
    if (!Number.isSafeInteger(id)) throw ifMatchFailed();
    await lockRecord(em, this.dialect, target.projection.entity, id);
    const json = await recordJson(em, target.compiled, this.dialect, id);
    if (!ifMatchHolds(write.ifMatch!, json === null ? null : recordEtag(json))) throw ifMatchFailed();
  }
}

/** A write whose If-Match does not hold (no such record, or it changed since the writer read it). */
function ifMatchFailed(): WriteRejected {
  return new WriteRejected(412, {
    _: 'The record changed since the version this write was based on (If-Match); read it again and retry.',
  });
}
