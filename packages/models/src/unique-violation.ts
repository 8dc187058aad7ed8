import type { UniqueConstraintViolationException } from '@mikro-orm/core';

/** The column an entry of PostgreSQL's key list names: `sku`, `"opensAt"`, or `lower(email::text)`. */
const keyColumn = (entry: string) => /([A-Za-z_]\w*)(?:::[\w ]+)?\)*$/.exec(entry.replace(/"/g, ''))?.[1];

/**
 * Which of `columns` a unique violation is about, read from what each database reports, never from the
 * SQL it quotes (whose values a client chose, so a value such as "a_name_b" must not name a column):
 * - PostgreSQL's `detail`: `Key (sku)=(SPADE-1) already exists.`, `Key (lower(email::text))=(...)`;
 * - SQLite's message, at its end: `UNIQUE constraint failed: products.sku`, or for an index over an
 *   expression `UNIQUE constraint failed: index 'users_email_lower_unique'`, whose name holds the
 *   column (`_email_`; the longest candidate that fits wins).
 * Undefined for a constraint over several columns, or one not among `columns`.
 */
export function uniqueColumnOf(
  error: UniqueConstraintViolationException,
  columns: readonly string[],
): string | undefined {
  const detail = (error as { detail?: unknown }).detail;
  if (typeof detail === 'string')
    return onlyOne(/^Key \((.+?)\)=\(/.exec(detail)?.[1]?.split(', ').map(keyColumn), columns);
  const reported = /UNIQUE constraint failed: (.+)$/.exec(error.message)?.[1] ?? '';
  const index = /^index '(\w+)'$/.exec(reported)?.[1];
  if (index !== undefined)
    return columns.filter((column) => index.includes(`_${column}_`)).sort((a, b) => b.length - a.length)[0];
  if (!/^[\w.]+(?:, [\w.]+)*$/.test(reported)) return undefined;
  return onlyOne(
    reported.split(', ').map((entry) => entry.replace(/^.*\./, '')),
    columns,
  );
}

/** The one column `listed` names, if it is one of `columns`; undefined for several, or none. */
function onlyOne(listed: (string | undefined)[] | undefined, columns: readonly string[]): string | undefined {
  const [column, ...more] = listed ?? [];
  return column !== undefined && more.length === 0 && columns.includes(column) ? column : undefined;
}
