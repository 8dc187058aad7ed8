import { ValidationError, type PropertyErrors } from 'adminjs';
import {
  CheckConstraintViolationException,
  ForeignKeyConstraintViolationException,
  NotNullConstraintViolationException,
  UniqueConstraintViolationException,
  ValidationError as OrmValidationError,
} from '@mikro-orm/core';
import { ModelValidationError, uniqueColumnOf } from '@tandem/models';

export interface ErrorHints {
  /** Unique fields by property name with the column name that appears in driver messages. */
  readonly unique: Readonly<Record<string, string>>;
  /** Human name of the model for messages, e.g. "product". */
  readonly label: string;
}

/**
 * AdminJS counts a record as saved when it has no *property* errors, even if a base error is set. An
 * error that belongs to no field is therefore also filed under this key (no form field shows it; the
 * base message becomes the page notice).
 */
export const RECORD_ERROR_KEY = '_record';

function recordError(message: string, type: string): ValidationError {
  return new ValidationError({ [RECORD_ERROR_KEY]: { type, message } }, { message, type });
}

function fieldErrors(errors: Readonly<Record<string, string>>): PropertyErrors {
  return Object.fromEntries(
    Object.entries(errors).map(([field, message]) => [field, { type: 'invalid', message }]),
  );
}

/**
 * Turns what the model hooks and the database refuse into an AdminJS ValidationError, so the form shows
 * the message next to the field instead of a 500 (or, as the stock adapter does, a false "saved").
 * Returns undefined for errors that are not the user's fault; the caller rethrows those.
 */
export function toValidationError(error: unknown, hints: ErrorHints): ValidationError | undefined {
  if (error instanceof ValidationError) return error;
  if (error instanceof ModelValidationError) {
    return new ValidationError(fieldErrors(error.errors), {
      message: 'Please correct the errors below.',
      type: 'invalid',
    });
  }
  if (error instanceof UniqueConstraintViolationException) {
    const column = uniqueColumnOf(error, Object.values(hints.unique));
    const field = Object.entries(hints.unique).find(([, unique]) => unique === column)?.[0];
    if (field !== undefined)
      return new ValidationError(
        { [field]: { type: 'unique', message: `A ${hints.label} with this ${field} already exists.` } },
        { message: 'Please correct the errors below.', type: 'unique' },
      );
    return recordError(`A ${hints.label} with these values already exists.`, 'unique');
  }
  if (error instanceof ForeignKeyConstraintViolationException) {
    return recordError(
      `This ${hints.label} is still referenced by other records (or refers to a missing one).`,
      'reference',
    );
  }
  if (error instanceof NotNullConstraintViolationException) {
    const column = /\.(\w+)|column "(\w+)"/.exec(error.message);
    const field = column?.[1] ?? column?.[2];
    const camel = field?.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/Id$/, '');
    if (camel)
      return new ValidationError({ [camel]: { type: 'required', message: 'This field is required.' } });
    return recordError('A required field is missing.', 'required');
  }
  if (error instanceof OrmValidationError) {
    // MikroORM's own checks before any SQL, e.g. "Value for Product.category is required, 'undefined' found".
    const required = /Value for \w+\.(\w+) is required/.exec(error.message);
    if (required)
      return new ValidationError({
        [required[1]!]: { type: 'required', message: 'This field is required.' },
      });
    return recordError(`These values cannot be saved for the ${hints.label}.`, 'invalid');
  }
  if (error instanceof CheckConstraintViolationException) {
    return recordError(`The database refused these values for the ${hints.label}.`, 'check');
  }
  return undefined;
}

/**
 * A refusal of one record in a bulk change, said in its message: no form shows field errors after a
 * bulk action (the "all matching" drawer prints the message, a list page the notice), so "Please
 * correct the errors below." would point at nothing. The message names the record and every reason;
 * the field errors are kept. Errors that are not the user's fault are returned unchanged.
 */
export function refusedInBulk(error: unknown, hints: ErrorHints, id: string | number): unknown {
  const validation = toValidationError(error, hints);
  if (!validation) return error;
  const reasons = Object.entries(validation.propertyErrors).map(([field, { message }]) =>
    field === RECORD_ERROR_KEY ? message : `${field}: ${message}`,
  );
  if (reasons.length === 0 && validation.baseError?.message) reasons.push(validation.baseError.message);
  const message = `The ${hints.label} with id ${id} was refused: ${reasons.join('; ')}`;
  return new ValidationError(validation.propertyErrors, {
    message,
    type: validation.baseError?.type ?? 'invalid',
  });
}
