import type { EntityProperty } from '@mikro-orm/core';

/** The whole numbers an integer column stores. */
export interface IntegerRange {
  readonly minimum: number;
  readonly maximum: number;
}

const INT32: IntegerRange = { minimum: -(2 ** 31), maximum: 2 ** 31 - 1 };
const INT16: IntegerRange = { minimum: -(2 ** 15), maximum: 2 ** 15 - 1 };
const SAFE: IntegerRange = { minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };

const INTEGER = /^(integer|int|int2|int4|int8|bigint|smallint|tinyint|mediumint|increments|bigincrements)$/i;

/** True for a property stored in an integer column (a JS number or bigint). */
export function isIntegerColumn(prop: EntityProperty): boolean {
  return prop.runtimeType === 'bigint' || (prop.runtimeType === 'number' && INTEGER.test(String(prop.type)));
}

/**
 * The range an integer column stores: PostgreSQL refuses anything outside it (SQLSTATE 22003), and
 * SQLite would store what the other database cannot. `integer` columns are 32-bit.
 */
export function integerRange(prop: EntityProperty | undefined): IntegerRange {
  const type = String(prop?.type ?? '').toLowerCase();
  if (/^(smallint|int2|tinyint)$/.test(type)) return INT16;
  if (/^(bigint|int8|bigincrements)$/.test(type) || prop?.runtimeType === 'bigint') return SAFE;
  return INT32;
}

/**
 * True for a single-precision floating point column (`real`, what p.float() maps to on both
 * databases): PostgreSQL refuses a number past ±3.4028235e38, or one so small it would round to 0
 * (SQLSTATE 22003), where SQLite's REAL is a double and stores it. Double columns hold every finite
 * JS number.
 */
export function isSinglePrecisionColumn(prop: { readonly columnTypes?: readonly string[] }): boolean {
  return /^(real|float4)$/i.test(String(prop.columnTypes?.[0] ?? ''));
}

/**
 * The most characters a string column stores (`varchar(n)`), or undefined for text. PostgreSQL
 * refuses a longer value (22001); SQLite does not check lengths at all.
 */
export function characterLimit(prop: EntityProperty): number | undefined {
  if (prop.runtimeType !== 'string') return undefined;
  if (prop.length !== undefined && prop.length > 0) return prop.length;
  const column = /^(?:varchar|character varying)\((\d+)\)$/i.exec(String(prop.columnTypes?.[0] ?? ''));
  return column ? Number(column[1]) : undefined;
}

/**
 * What a column holds beyond its JS runtime type, read from the SQL type MikroORM maps it to: a
 * calendar date (`date`, a string to MikroORM), a time of day (`time`, `time(0)`: a string too), a
 * decimal (`numeric(p,s)`, a string too), a floating point number. The projection (how it is served),
 * the OpenAPI schema (how it is described) and StorableValues (what it accepts) all go by this one
 * reading.
 */
export function columnKind(prop: {
  readonly columnTypes?: readonly string[];
}): 'date' | 'time' | 'decimal' | 'float' | undefined {
  const column = String(prop.columnTypes?.[0] ?? '').toLowerCase();
  if (column === 'date') return 'date';
  if (/^time(\(\d\))?$/.test(column)) return 'time';
  if (/^(numeric|decimal)\b/.test(column)) return 'decimal';
  if (/^(double|real|float)/.test(column)) return 'float';
  return undefined;
}

/**
 * A time of day as a time column stores it on both databases: HH:MM or HH:MM:SS, no fraction (p.time()
 * is `time(0)` on PostgreSQL, which rounds a fraction to the next second; SQLite kept it as typed).
 */
export const TIME_OF_DAY = /^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$/;

const CALENDAR_DATE = /^(\d{4})-(\d\d)-(\d\d)$/;

/**
 * "YYYY-MM-DD" naming a day that exists. `Date.parse` is no check: V8 rolls 2026-02-30 over to
 * March 2, while PostgreSQL refuses it; the admin, the ORM and fast's write bodies all go by this.
 */
export function isCalendarDate(text: string): boolean {
  const match = CALENDAR_DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
