import type { AuditActor, FieldDiff, HotProjection, Orm } from '@tandem/models';
import type { WriteRequest } from '../write-request.js';

export type Dialect = 'sqlite' | 'postgresql';

/** The ORM's SQL entity manager (query builder, raw statements in its transaction). */
export type EntityManager = Orm['em'];

/** A hot collection that takes writes: its projection, whose `writes` declaration is set. */
export type WritableProjection = HotProjection & { readonly writes: NonNullable<HotProjection['writes']> };

/** What a handler gets for one write: the savepoint's entity manager and who wrote. */
export interface WriteContext {
  /** Bound to the write's savepoint: everything done through it is undone if the write is rejected. */
  readonly em: EntityManager;
  readonly write: WriteRequest;
  readonly projection: WritableProjection;
  readonly actor: AuditActor | undefined;
  readonly dialect: Dialect;
}

/** What an applied write did, for its outcome row and its audit entry. */
export interface WriteEffect {
  /** 201 for a create, 200 for an update, 204 for a delete. */
  readonly httpStatus: 200 | 201 | 204;
  /** The record written (for a create, the new record's id). */
  readonly recordId: string;
  /** The audit entry's action (create / update / delete) and entity name. */
  readonly action: string;
  readonly model: string;
  /** Field-level change; an update that changed nothing writes no audit entry. */
  readonly diff: FieldDiff;
}

/** The writes of one batch that a handler will apply, before any of them is (see `prepare`). */
export interface BatchContext {
  readonly em: EntityManager;
  readonly writes: readonly WriteRequest[];
  readonly dialect: Dialect;
  /** The handler's runs go to applyRun in this batch (false when the batch is redone write by write). */
  readonly inRuns: boolean;
  /** These are all the batch's writes: no other handler writes anything in this transaction. */
  readonly onlyHandler: boolean;
}

/** A run of consecutive writes of one collection, all of which the handler said it can apply together. */
export interface RunContext {
  /** The batch's transaction: a statement that fails rolls the batch back, which is then redone write by write. */
  readonly em: EntityManager;
  readonly writes: readonly WriteRequest[];
  readonly projection: WritableProjection;
  readonly dialect: Dialect;
}

/** One write's verdict in a run: what it did, or the refusal (WriteRejected, ModelValidationError) that rejects it alone. */
export type RunVerdict = { readonly effect: WriteEffect } | { readonly refused: unknown };

/**
 * Applies the writes of the collections that name it (WriteDeclaration.handler). Business rules are
 * checked here, where the data is: a refusal is `throw new WriteRejected(status, errors)`, and a
 * model's ModelValidationError is turned into a 422 with its field errors by the applier.
 */
export interface WriteHandler {
  /**
   * Once per batch, in the batch's transaction, before its first write: e.g. take the row locks the
   * batch will need in one global order, so that two appliers' batches cannot deadlock.
   */
  prepare?(batch: BatchContext): Promise<void>;
  /**
   * Before the write's savepoint, in the batch's transaction: read-only checks that may refuse the
   * write (throw WriteRejected) without the cost of a savepoint. It must not write anything.
   */
  check?(context: WriteContext): Promise<void>;
  apply(context: WriteContext): Promise<WriteEffect>;
  /** Whether `applyRun` takes this write (e.g. an order's create); consecutive such writes form a run. */
  runs?(write: WriteRequest): boolean;
  /**
   * Applies a run of writes with a few multi-row statements instead of a savepoint each: every verdict
   * is decided in memory, in the writes' order, before any statement is sent, exactly as `check` and
   * `apply` would decide them one after the other; then the accepted writes' effects are written. A
   * statement that does not do what was decided must throw: the batch's transaction is rolled back and
   * the batch redone write by write (`check` + `apply`), so only a guilty write is rejected. Audit entries
   * are written by the applier.
   */
  applyRun?(run: RunContext): Promise<RunVerdict[]>;
}
