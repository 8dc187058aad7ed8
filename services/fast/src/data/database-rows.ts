import type { CompiledProjection } from '@tandem/changefeed';
import type { Orm } from '@tandem/models';

/**
 * A hot collection's row by id that memory no longer holds, read from the database: within the row
 * filter and past the hot window (CompiledProjection.lookupSql); null if none. With an owner (a reader
 * of their own rows), only that owner's row: another's is not even read.
 */
export type DatabaseRows = (collection: string, id: number, owner: string | null) => Promise<string | null>;

/**
 * Reads rows through the ORM's connection (opened on first use: the fast service keeps none
 * otherwise), as JSON built by the same SQL as the change feed's, so the bytes and the ETag served
 * are the ones the row would have had in memory.
 */
export function databaseRows(orm: Orm, projections: readonly CompiledProjection[]): DatabaseRows {
  const byName = new Map(projections.map((p) => [p.collection, p]));
  return async (collection, id, owner) => {
    const projection = byName.get(collection);
    if (!projection || !Number.isSafeInteger(id)) return null;
    const owned = owner !== null && projection.lookupOwnedSql !== undefined;
    const rows = await orm.em
      .getConnection()
      .execute<{ id: number; json: string }[]>(
        owned ? projection.lookupOwnedSql! : projection.lookupSql,
        owned ? [id, owner] : [id],
        'all',
      );
    return rows[0]?.json ?? null;
  };
}
