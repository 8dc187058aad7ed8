import { Filter, type BaseResource } from 'adminjs';
import { isPostgres, type Orm } from '@tandem/models';
import { OrmResource } from '../orm/resource.js';

/** Above this many rows (by PostgreSQL's estimate) the dashboard shows the estimate, not a count. */
export const ESTIMATE_ABOVE = 100_000;

export interface RecordCount {
  readonly count: number;
  /** True when `count` is PostgreSQL's planner estimate (pg_class.reltuples), not an exact count. */
  readonly estimated: boolean;
}

/**
 * PostgreSQL's estimate of a table's rows, kept by VACUUM/ANALYZE (autovacuum), or undefined when it
 * has none yet (-1 before the first analyze) or the table is not found.
 */
async function estimatedRows(orm: Orm, table: string): Promise<number | undefined> {
  const rows = await orm.em
    .fork()
    .getConnection()
    .execute<{ estimate: string | number | null }[]>(
      `select reltuples::bigint as estimate from pg_class where oid = to_regclass(format('%I', ?::text))`,
      [table],
    );
  const estimate = Number(rows[0]?.estimate ?? -1);
  return estimate >= 0 ? estimate : undefined;
}

/**
 * A resource's number of records without scanning a big table: `count(*)` reads every row on
 * PostgreSQL (seconds at millions of rows, on every dashboard visit), so above `estimateAbove` rows
 * the planner's estimate is shown instead, as big Django sites patch into their admin.
 */
export async function recordCount(
  orm: Orm,
  resource: BaseResource,
  estimateAbove: number = ESTIMATE_ABOVE,
): Promise<RecordCount> {
  if (resource instanceof OrmResource && isPostgres(orm)) {
    const estimate = await estimatedRows(orm, resource.meta.tableName);
    if (estimate !== undefined && estimate >= estimateAbove) return { count: estimate, estimated: true };
  }
  return { count: await resource.count(new Filter({}, resource)), estimated: false };
}
