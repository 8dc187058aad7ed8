import type { Filter } from 'adminjs';
import { ReferenceKind, type FilterQuery } from '@mikro-orm/core';
import type { OrmResource } from './resource.js';

/** Rows per query of a scan: memory stays bounded by one batch whatever the table's size. */
export const SCAN_BATCH_SIZE = 1000;

type RawRow = Record<string, unknown>;

/**
 * Where the next batch starts: after this row in the list's order. The values are the database's
 * own (not hydrated), so a PostgreSQL timestamp keeps its microseconds: a JavaScript Date would cut
 * them and the next batch would start inside the last one.
 */
interface Cursor {
  readonly key: unknown;
  readonly id: unknown;
}

/**
 * The keyset condition "after the cursor" for `order by field <dir> nulls last, pk <dir>`: a larger
 * (smaller) field, or the same field and a larger (smaller) key, or — non-NULL rows come first — any
 * NULL field; after a NULL field only NULL fields with a larger (smaller) key remain.
 */
function after(cursor: Cursor, column: string | undefined, pkColumn: string, direction: 'asc' | 'desc') {
  const beyond = direction === 'desc' ? '<' : '>';
  if (column === undefined) return { sql: `${pkColumn} ${beyond} ?`, params: [cursor.id] };
  if (cursor.key === null || cursor.key === undefined)
    return { sql: `(${column} is null and ${pkColumn} ${beyond} ?)`, params: [cursor.id] };
  return {
    sql: `(${column} ${beyond} ? or (${column} = ? and ${pkColumn} ${beyond} ?) or ${column} is null)`,
    params: [cursor.key, cursor.key, cursor.id],
  };
}

/**
 * Every entity matching `filter`, in the list's order (OrmResource.ordering), a batch at a time, with
 * references and many-to-many collections loaded. Keyset pagination, not OFFSET: each batch is one
 * indexed range query, so a million rows cost a thousand queries of the same size instead of ever
 * longer skips. Each batch is read with a fresh unit of work, so nothing accumulates. Rows written
 * while a scan runs may or may not be included (no transaction is held open for its whole length).
 */
export async function* scanInBatches(
  resource: OrmResource,
  filter: Filter,
  sort: { sortBy?: string; direction?: 'asc' | 'desc' },
  batchSize = SCAN_BATCH_SIZE,
): AsyncGenerator<object[]> {
  const { meta } = resource;
  const { field, direction, pk, orderBy } = resource.ordering(sort);
  const platform = resource.orm.em.getPlatform();
  const columnOf = (property: string) => meta.properties[property]!.fieldNames[0]!;
  const quoted = (property: string) => platform.quoteIdentifier(`e.${columnOf(property)}`);
  const byKeyOnly = field === pk;
  const relations = resource
    .properties()
    .filter((property) => property.meta.kind !== ReferenceKind.SCALAR)
    .map((property) => property.path());
  let cursor: Cursor | undefined;
  for (;;) {
    const em = resource.orm.em.fork();
    const keys = em
      .createQueryBuilder<object, 'e'>(meta.className, 'e')
      .select(byKeyOnly ? [pk] : [pk, field])
      // Built anew for each query: MikroORM's raw() fragments (the search) can be used only once.
      .where(resource.where(filter))
      .orderBy(orderBy)
      .limit(batchSize);
    if (cursor) {
      const condition = after(cursor, byKeyOnly ? undefined : quoted(field), quoted(pk), direction);
      keys.andWhere(condition.sql, condition.params);
    }
    const rows = await keys.execute<RawRow[]>('all', false);
    if (rows.length === 0) return;
    const ids = rows.map((row) => row[columnOf(pk)]);
    const entities = await em.find<object>(meta.className, { [pk]: { $in: ids } } as FilterQuery<object>, {
      populate: relations as never[],
    });
    const byId = new Map(entities.map((entity) => [String((entity as Record<string, unknown>)[pk]), entity]));
    // A row deleted between the two queries is skipped rather than exported half-known.
    yield ids.map((id) => byId.get(String(id))).filter((entity) => entity !== undefined);
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1]!;
    cursor = { key: byKeyOnly ? undefined : last[columnOf(field)], id: last[columnOf(pk)] };
  }
}
