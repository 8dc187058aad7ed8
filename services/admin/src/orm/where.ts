import type { Filter } from 'adminjs';
import {
  raw,
  ReferenceKind,
  type Dictionary,
  type EntityMetadata,
  type EntityProperty,
} from '@mikro-orm/core';
import { columnKind, isCalendarDate, ownEntry } from '@tandem/models';

/** The virtual filter field that searches several columns at once (the list page's "Search" box). */
export const SEARCH_FIELD = 'q';

/** `%term%` for LIKE, with LIKE's own wildcards escaped so "50%" finds "50%", not everything. */
function likePattern(term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Case-insensitive "contains" on a column, the same on SQLite and PostgreSQL. JSON lists (tags) are
 * matched on their text form, so searching "garden" finds ["garden", "tools"].
 */
function contains(meta: EntityMetadata, field: string, term: string): Dictionary {
  if (field.includes('.')) return relatedContains(meta, field, term);
  const prop = ownEntry(meta.properties, field);
  if (!prop) return {};
  const column = prop.fieldNames[0] ?? field;
  // JSON, and a date, time or decimal a declaration names as a search field (PostgreSQL has no lower()
  // of those), are matched on their text form.
  const asText =
    prop.runtimeType === 'object' ||
    /json/.test(String(prop.columnTypes?.[0])) ||
    columnKind(prop) !== undefined;
  const expression = asText
    ? (alias: string) => `lower(cast(${alias}.${column} as text))`
    : (alias: string) => `lower(${alias}.${column})`;
  // ESCAPE spelled out: PostgreSQL's LIKE escapes with a backslash by default, SQLite's with nothing,
  // so without it "authorization_code" matched nothing on SQLite.
  return { [raw((alias: string) => `${expression(alias)} like ? escape '\\'`, [likePattern(term)])]: [] };
}

/**
 * "user.email": a column of the record a many-to-one points at (an order's owner's email), matched in
 * a subquery on that table (`user_id in (select id from users where ...)`), so the list's count works
 * too and the foreign key's index finds the rows. ESCAPE makes LIKE's backslash escapes hold on SQLite.
 */
function relatedContains(meta: EntityMetadata, field: string, term: string): Dictionary {
  const [relation = '', column = ''] = field.split('.');
  const prop = meta.properties[relation];
  const target = prop?.targetMeta;
  const targetColumn = target?.properties[column];
  const isReference = prop?.kind === ReferenceKind.MANY_TO_ONE || prop?.kind === ReferenceKind.ONE_TO_ONE;
  if (!isReference || !target || targetColumn?.kind !== ReferenceKind.SCALAR) return {};
  const pk = target.properties[target.primaryKeys[0]!]!.fieldNames[0];
  const subquery = `select ${pk} from ${target.tableName} where lower(${targetColumn.fieldNames[0]}) like ? escape '\\'`;
  return { [relation]: { $in: raw(subquery, [likePattern(term)]) } };
}

function asBoolean(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/** "2026-12-01" of a day as a picker sends it ("2026-12-01", or an ISO instant of that day in UTC). */
const dayOf = (value: unknown): string | undefined => {
  const day = /^(\d{4}-\d\d-\d\d)(T\d\d:\d\d(:\d\d(\.\d{1,3})?)?Z)?$/.exec(
    typeof value === 'string' ? value : '',
  )?.[1];
  return day !== undefined && isCalendarDate(day) ? day : undefined;
};

/** An instant a datetime picker sends (an ISO string), or undefined when it is none. */
const instantOf = (value: unknown): Date | undefined => {
  const instant = new Date(value as string);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
};

/**
 * A filter's from/to range, both ends included, each end read by `bound`; undefined when it names
 * neither end or an end does not read (then it is no filter). A date column's ends are compared as the
 * "YYYY-MM-DD" text SQLite stores and PostgreSQL reads as a date (a Date object would be an instant,
 * which SQLite's driver cannot bind and PostgreSQL would compare in its own zone); a timestamp's as
 * instants (rangeBound).
 */
function rangeOf(
  value: { from?: unknown; to?: unknown },
  bound: (end: unknown) => string | Date | undefined,
): Dictionary | undefined {
  const range: Dictionary = {};
  for (const [end, operator] of [
    ['from', '$gte'],
    ['to', '$lte'],
  ] as const) {
    if (!value[end]) continue;
    const read = bound(value[end]);
    if (read === undefined) return undefined;
    range[operator] = read;
  }
  return Object.keys(range).length > 0 ? range : undefined;
}

/**
 * How a column's range ends read: a calendar date's as days, a timestamp's as instants; undefined for
 * any other column (a number, a flag, text), which has no range filter. An instant bound to an integer
 * or boolean column was a 500 on PostgreSQL ("invalid input syntax for type integer").
 */
function rangeBound(prop: EntityProperty): ((end: unknown) => string | Date | undefined) | undefined {
  if (columnKind(prop) === 'date') return dayOf;
  if (prop.runtimeType === 'Date') return instantOf;
  return undefined;
}

/**
 * AdminJS filters to a MikroORM where clause. Values come from the query string, so anything that
 * does not parse, and a range on a column that has none (a number, a flag), is ignored rather than sent
 * to the database. A column the staff member is never sent (`unsent`, like a hidden one) is not
 * filtered on either: whether rows match a guess would read it out a character at a time.
 */
export function buildWhere(
  filter: Filter | undefined,
  meta: EntityMetadata,
  searchFields: readonly string[],
  unsent: readonly string[] = [],
): Dictionary {
  const and: Dictionary[] = [];
  for (const [path, element] of Object.entries(filter?.filters ?? {})) {
    const value = element.value;
    if (path === SEARCH_FIELD) {
      const term = String(value).trim();
      if (term !== '') and.push({ $or: searchFields.map((field) => contains(meta, field, term)) });
      continue;
    }
    // Own properties only: a filter named "hasOwnProperty" or "toString" is no column.
    const prop = ownEntry(meta.properties, path);
    if (!prop || prop.hidden || prop.lazy || unsent.includes(path)) continue;
    if (typeof value === 'object' && value !== null) {
      const bound = rangeBound(prop);
      const range = bound === undefined ? undefined : rangeOf(value, bound);
      if (range !== undefined) and.push({ [path]: range });
      continue;
    }
    const text = String(value);
    if (prop.kind === ReferenceKind.MANY_TO_ONE || prop.kind === ReferenceKind.ONE_TO_ONE) {
      const id = Number(text);
      if (Number.isSafeInteger(id)) and.push({ [path]: id });
    } else if (prop.kind === ReferenceKind.MANY_TO_MANY) {
      const id = Number(text);
      if (Number.isSafeInteger(id)) and.push({ [path]: { $in: [id] } });
    } else if (prop.kind !== ReferenceKind.SCALAR) {
      continue;
    } else if (prop.runtimeType === 'boolean') {
      const flag = asBoolean(text);
      if (flag !== undefined) and.push({ [path]: flag });
    } else if (prop.runtimeType === 'number') {
      const number = Number(text);
      if (text.trim() !== '' && Number.isFinite(number)) and.push({ [path]: number });
    } else {
      and.push(contains(meta, path, text));
    }
  }
  return and.length === 0 ? {} : { $and: and };
}
