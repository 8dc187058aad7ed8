import {
  CheckConstraintViolationException,
  ForeignKeyConstraintViolationException,
  NotNullConstraintViolationException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { ModelValidationError, uniqueColumnOf, type WriteErrors } from '@tandem/models';
import type { CompiledProjection } from '@tandem/changefeed';
import type { WriteOp } from '../write-request.js';
import type { ExposedFields } from './entity-fields.js';
import { WriteRejected, type RejectionStatus } from './write-rejected.js';

export interface Rejection {
  readonly httpStatus: RejectionStatus;
  readonly errors: WriteErrors;
}

/**
 * The rejection an error inside a write's savepoint stands for, or undefined when it says nothing
 * about the write (a lost connection, a deadlock, a bug): then the whole batch is retried instead of
 * recording an outcome the write may not deserve.
 *
 * Business rules (WriteRejected) and the model's validation hooks (ModelValidationError) are the
 * expected refusals; constraint violations are the database's own rules, for what the hooks cannot see
 * (a unique value taken by another row, a row still referenced). A data error (a value out of range)
 * is a rejection only where it is known to come from the write's savepoint: see data-error.ts.
 */
export function rejectionOf(
  error: unknown,
  op: WriteOp,
  fields: ExposedFields | undefined,
  compiled?: CompiledProjection,
): Rejection | undefined {
  if (error instanceof WriteRejected) return { httpStatus: error.httpStatus, errors: error.errors };
  if (error instanceof ModelValidationError)
    return { httpStatus: 422, errors: fields ? fields.toFieldErrors(error.errors) : { ...error.errors } };
  if (error instanceof UniqueConstraintViolationException) {
    // Named by the column the database reports, never by the SQL it quotes (uniqueColumnOf).
    const fields = compiled?.fields ?? [];
    const column = uniqueColumnOf(
      error,
      fields.map((candidate) => candidate.column),
    );
    const field = fields.find((candidate) => candidate.column === column)?.name;
    return field === undefined
      ? { httpStatus: 409, errors: { _: 'Another record already has one of these unique values.' } }
      : { httpStatus: 409, errors: { [field]: `Another record already has this ${field}.` } };
  }
  if (error instanceof ForeignKeyConstraintViolationException)
    return op === 'delete'
      ? { httpStatus: 409, errors: { _: 'Other records still refer to this one.' } }
      : { httpStatus: 422, errors: { _: 'The record refers to a record that does not exist.' } };
  if (
    error instanceof NotNullConstraintViolationException ||
    error instanceof CheckConstraintViolationException
  )
    return { httpStatus: 422, errors: { _: 'The record breaks a rule of the database.' } };
  return undefined;
}
