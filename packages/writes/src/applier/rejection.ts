import {
  CheckConstraintViolationException,
  ForeignKeyConstraintViolationException,
  NotNullConstraintViolationException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { ModelValidationError, type WriteErrors } from '@tandem/models';
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
    const field = compiled && uniqueFieldOf(error, compiled);
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

/**
 * The exposed field a unique violation is about, read from what each database reports: PostgreSQL's
 * `detail` (`Key (sku)=(SPADE-1) already exists.`), SQLite's message (`UNIQUE constraint failed:
 * products.sku`, at its end: before it the SQL, whose values a client chose). Undefined for a
 * constraint over several columns, or one no exposed field maps to.
 */
function uniqueFieldOf(
  error: UniqueConstraintViolationException,
  compiled: CompiledProjection,
): string | undefined {
  const detail = (error as { detail?: unknown }).detail;
  const listed =
    typeof detail === 'string'
      ? /^Key \((.+?)\)=/.exec(detail)?.[1]
      : /UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)$/.exec(error.message)?.[1];
  const columns = listed?.split(', ').map((column) => column.replace(/^.*\./, '').replace(/"/g, ''));
  if (columns?.length !== 1) return undefined;
  return compiled.fields.find((field) => field.column === columns[0])?.name;
}
