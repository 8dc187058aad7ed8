import {
  JsonType,
  type ChangeSet,
  type EntityMetadata,
  type EventArgs,
  type EventSubscriber,
} from '@mikro-orm/core';
import {
  TIME_OF_DAY,
  characterLimit,
  columnKind,
  integerRange,
  isCalendarDate,
  isIntegerColumn,
  isSinglePrecisionColumn,
} from './column-limits.js';
import { ModelValidationError, type FieldErrors } from './validation.js';

const NUL_REFUSED = 'Must not contain the NUL character.';

/**
 * Why each of `values`' scalar fields cannot be stored in its column, by field: a string longer than
 * its `varchar`, a string with a NUL character (PostgreSQL text cannot hold one, nor json(b): a JSON
 * value's strings and keys are looked at too, as the audit diff stores every change as jsonb), a
 * number outside its column's range, and valueProblem's. Only the fields present in `values` are
 * looked at.
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
    const problem = valueProblem(prop, value) ?? rangeProblem(prop, value);
    if (problem !== undefined) {
      errors[name] = problem;
      continue;
    }
    if (typeof value === 'string') {
      if (value.includes('\0')) errors[name] = NUL_REFUSED;
      const limit = characterLimit(prop);
      if (limit !== undefined && characters(value, limit) > limit)
        errors[name] = `Must be at most ${limit} characters.`;
    } else if (holdsNul(value)) errors[name] = NUL_REFUSED;
  }
  return errors;
}

/** A whole number in a string (a bigint as MikroORM may hold one): decimal digits, no sign but minus. */
const WHOLE_NUMBER = /^-?\d+$/;

/**
 * True for a whole number as an integer column takes one: an integer number, a bigint, or its decimal
 * digits (rangeProblem then keeps it within the column's range, safe integers at most). Anything else
 * was stored as typed by SQLite (1.5, "abc"), rounded by PostgreSQL (1.5 became 2) or refused by it
 * (22P02, a 500 in the admin).
 */
function isWholeNumber(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value);
  if (typeof value === 'string') return WHOLE_NUMBER.test(value);
  return typeof value === 'bigint';
}

// The largest finite single-precision float, and the smallest above 0 (a subnormal).
const REAL_MAXIMUM = 3.4028234663852886e38;
const REAL_SMALLEST = Math.fround(1e-45);

/**
 * A value of the right kind outside its column's range: an integer past its 16, 32 or 53 bits, a
 * number a `real` column cannot hold (PostgreSQL refused 1e39 and 1e-50 with 22003, a 500 in the
 * admin). Runs after valueProblem: integer columns hold whole numbers by then.
 */
function rangeProblem(prop: EntityMetadata['properties'][string], value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (isIntegerColumn(prop)) {
    const { minimum, maximum } = integerRange(prop);
    const whole = BigInt(value as number | bigint | string);
    if (whole > BigInt(maximum)) return `Must be at most ${maximum}.`;
    if (whole < BigInt(minimum)) return `Must be at least ${minimum}.`;
    return undefined;
  }
  if (!isSinglePrecisionColumn(prop) || (typeof value !== 'number' && typeof value !== 'string'))
    return undefined;
  // Rounded as a real column rounds it: past the largest float it is infinite, below the smallest, 0.
  const number = Number(value);
  const single = Math.fround(number);
  if (!Number.isFinite(single))
    return `Must be between ${(-REAL_MAXIMUM).toPrecision(8)} and ${REAL_MAXIMUM.toPrecision(8)}.`;
  if (single === 0 && number !== 0)
    return `Must be 0, or at least ${REAL_SMALLEST.toPrecision(2)} away from 0.`;
  return undefined;
}

/**
 * True when a JSON value (an array or a plain object, at any depth) holds a string or a key with a
 * NUL character. Walked with a list, not recursion: a deeply nested body cannot overflow the stack.
 */
function holdsNul(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const pending: unknown[] = [value];
  const seen = new Set<object>();
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (item.includes('\0')) return true;
    } else if ((Array.isArray(item) || isPlainObject(item)) && !seen.has(item)) {
      seen.add(item);
      // An array's keys are its indexes; an object's are stored like its strings.
      for (const [key, member] of Object.entries(item)) {
        if (key.includes('\0')) return true;
        pending.push(member);
      }
    }
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const DECIMAL = /^-?(\d+)(?:\.(\d+))?$/;

/**
 * What makes `value` wrong for its column whatever its size: an enum's unknown item, a number that is
 * not finite (NaN reached SQL as a column name), an integer column's value that is not a whole
 * number (isWholeNumber), a decimal that is not one or has more digits than the column's precision
 * and scale (PostgreSQL refuses or rounds it, SQLite stored "abc"), a date or a time of day that is
 * not one. Undefined when fine, or for null and absent values (nullability is the model's).
 */
function valueProblem(prop: EntityMetadata['properties'][string], value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (prop.enum && Array.isArray(prop.items) && !prop.items.includes(value as string))
    return `Must be one of: ${prop.items.join(', ')}.`;
  if (typeof value === 'number' && !Number.isFinite(value)) return 'Must be a number.';
  if (isIntegerColumn(prop) && !isWholeNumber(value)) return 'Must be a whole number.';
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
 * failed the statement (SQLSTATE 22001, 22003, 22021, 22P02, 22P05: a 500 in the admin) or rounded
 * the value, while SQLite stored it, which a later copy to PostgreSQL could not. Registered for every entity (orm.ts); a model's
 * own rules (validateProduct, ...) still say what is valid, this only what is storable.
 */
export class StorableValues implements EventSubscriber {
  beforeCreate({ meta, entity }: EventArgs<object>): void {
    refuse(meta, entity as Record<string, unknown>);
  }

  beforeUpdate({ meta, changeSet }: EventArgs<object>): void {
    // An update writes only what changed: a stored value is not refused again for a later edit.
    if (changeSet) refuse(meta, changedValues(meta, changeSet));
  }
}

/**
 * What an update writes, by field: the change set's payload, with each JSON column's value taken from
 * the entity. The payload holds database values, and a JSON column's is its JSON text, where a NUL
 * is the escape `\u0000` (its character is not there to find).
 */
function changedValues(meta: EntityMetadata, changeSet: ChangeSet<object>): Record<string, unknown> {
  const values: Record<string, unknown> = { ...(changeSet.payload as Record<string, unknown>) };
  const entity = changeSet.entity as Record<string, unknown>;
  for (const name of Object.keys(values))
    if (meta.properties[name]?.customType instanceof JsonType) values[name] = entity[name];
  return values;
}

function refuse(meta: EntityMetadata, values: Record<string, unknown>): void {
  const errors = unstorableFields(meta, values);
  if (Object.keys(errors).length > 0) throw new ModelValidationError(errors);
}
