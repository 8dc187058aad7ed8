import type { EntityManager } from './handler.js';
import type { CompiledProjection } from '@tandem/changefeed';
import type { Dialect } from './handler.js';

/**
 * The record's JSON exactly as the change feed builds it (the projection's re-read SQL, run by the
 * database), read inside the applier's transaction: so earlier writes of the same batch are seen, and
 * the ETag computed from it is the one the fast service serves for that state. Null when the record is
 * absent or outside the projection's row filter (the fast service does not serve it either).
 */
export async function recordJson(
  em: EntityManager,
  projection: CompiledProjection,
  dialect: Dialect,
  id: number,
): Promise<string | null> {
  // The feed binds $1 (pg) or ? (better-sqlite3) itself; the ORM's connection inlines `?` parameters,
  // so the id list goes in as the literal each dialect's SQL casts: '{7}'::bigint[] or json_each('[7]').
  const sql = dialect === 'postgresql' ? projection.rereadSql.replace('$1', '?') : projection.rereadSql;
  const ids = dialect === 'postgresql' ? `{${id}}` : `[${id}]`;
  const rows = await em
    .getConnection()
    .execute<{ id: number; json: string }[]>(sql, [ids], 'all', em.getTransactionContext());
  return rows[0]?.json ?? null;
}

/**
 * Whether an `If-Match` header value holds for a record whose current tag is `etag` (null: no record).
 * Strong comparison (RFC 9110 13.1.1): a weak tag never matches; `*` matches any existing record.
 */
export function ifMatchHolds(header: string, etag: string | null): boolean {
  if (etag === null) return false;
  return header
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || tag === etag);
}
