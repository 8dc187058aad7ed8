import type { EntityMetadata, EventArgs, EventSubscriber } from '@mikro-orm/core';
import {
  TIME_OF_DAY,
  characterLimit,
  columnKind,
  integerRange,
  isCalendarDate,
  isIntegerColumn,
} from './column-limits.js';
import { ModelValidationError, type FieldErrors } from './validation.js';

/**
 * Why each of `values`' scalar fields cannot be stored in its column, by field: a string longer than
 * its `varchar`, a string with a NUL character (PostgreSQL text cannot hold one), an integer outside
 * its column's range, and valueProblem's. Only the fields present in `values` are looked at.
 */
export function unstorableFields(
  meta: EntityMetadata,
  values: Readonly<Record<string, unknown>>,
): FieldErrors {
  const errors: FieldErrors = {};
  for (const name of Object.keys(values)) {
    const prop = meta.properties[name];
    if (prop === undefined || prop.kind !== 'scalar' || prop.primary) continue;
    const value = values[name];
    const problem = valueProblem(prop, value);
    if (problem !== undefined) {
      errors[name] = problem;
      continue;
    }
    if (typeof value === 'string') {
      if (value.includes('\0')) errors[name] = 'Must not contain the NUL character.';
      const limit = characterLimit(prop);
      if (limit !== undefined && characters(value, limit) > limit)
        errors[name] = `Must be at most ${limit} characters.`;
    } else if (typeof value === 'number' && isIntegerColumn(prop)) {
      const { minimum, maximum } = integerRange(prop);
      if (value > maximum) errors[name] = `Must be at most ${maximum}.`;
      else if (value < minimum) errors[name] = `Must be at least ${minimum}.`;
    }
  }
  return errors;
}

const DECIMAL = /^-?(\d+)(?:\.(\d+))?$/;

/**
 * What makes `value` wrong for its column whatever its size: an enum's unknown item, a number that is
 * not finite (NaN reached SQL as a column name), a decimal that is not one or has more digits than the
 * column's precision and scale (PostgreSQL refuses or rounds it, SQLite stored "abc"), a date or a
 * time of day that is not one. Undefined when fine, or for null and absent values (nullability is the model's).
 */
function valueProblem(prop: EntityMetadata['properties'][string], value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (prop.enum && Array.isArray(prop.items) && !prop.items.includes(value as string))
    return `Must be one of: ${prop.items.join(', ')}.`;
  if (typeof value === 'number' && !Number.isFinite(value)) return 'Must be a number.';
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'Must be a valid date and time.' : undefined;
  const kind = columnKind(prop);
  if (kind === 'decimal') return decimalProblem(String(value), prop.precision, prop.scale);
  if (kind === 'float' && typeof value === 'string' && !Number.isFinite(Number(value)))
    return 'Must be a number.';
  if (kind === 'date' && typeof value === 'string' && !isCalendarDate(value))
    return 'Must be a date (YYYY-MM-DD).';
  if (kind === 'time' && typeof value === 'string' && !TIME_OF_DAY.test(value))
    return 'Must be a time of day (HH:MM or HH:MM:SS, 00:00 to 23:59:59).';
  return undefined;
}

function decimalProblem(text: string, precision?: number, scale = 0): string | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return 'Must be a number, such as 12.50.';
  if (precision === undefined) return undefined;
  const whole = match[1]!.replace(/^0+(?=\d)/, '');
  const fraction = match[2] ?? '';
  if (fraction.length > scale || (whole !== '0' && whole.length > precision - scale))
    return `Must have at most ${precision - scale} digits before the decimal point and ${scale} after.`;
  return undefined;
}

/**
 * How many characters (code points, as PostgreSQL counts a varchar's: an emoji is one, not two)
 * `value` has, counted only as far as `limit` needs: past 2 × limit UTF-16 units it is more anyway,
 * so an oversized form field costs no walk and no copy.
 */
function characters(value: string, limit: number): number {
  if (value.length <= limit || value.length > 2 * limit) return value.length;
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}

/**
 * Refuses, before any SQL and alike on both databases, an entity value its column cannot hold, as
 * field errors (ModelValidationError: the admin shows them next to the field). Without it PostgreSQL
 * failed the statement (SQLSTATE 22001, 22003, 22021: a 500 in the admin) while SQLite stored the
 * value, which a later copy to PostgreSQL could not. Registered for every entity (orm.ts); a model's
 * own rules (validateProduct, ...) still say what is valid, this only what is storable.
 */
export class StorableValues implements EventSubscriber {
  beforeCreate({ meta, entity }: EventArgs<object>): void {
    refuse(meta, entity as Record<string, unknown>);
  }

  beforeUpdate({ meta, changeSet }: EventArgs<object>): void {
    // An update writes only what changed: a stored value is not refused again for a later edit.
    if (changeSet) refuse(meta, changeSet.payload as Record<string, unknown>);
  }
}

function refuse(meta: EntityMetadata, values: Record<string, unknown>): void {
  const errors = unstorableFields(meta, values);
  if (Object.keys(errors).length > 0) throw new ModelValidationError(errors);
}
