import type { Orm } from '@tandem/models';

/** The ORM speaks PostgreSQL (else SQLite): row locks, and planner estimates for counts. */
export function isPostgres(orm: Orm): boolean {
  return orm.em.getPlatform().constructor.name.startsWith('PostgreSql');
}
