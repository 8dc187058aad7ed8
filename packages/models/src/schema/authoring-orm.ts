import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MikroORM, type Constructor, type IMigrationGenerator, type Options } from '@mikro-orm/core';
import {
  SchemaComparator,
  type DatabaseSchema,
  type SchemaDifference,
  type SqlEntityManager,
} from '@mikro-orm/knex';
import { Migrator } from '@mikro-orm/migrations';
import type { DatabaseTarget } from '@tandem/config';
import { ormOptions, type Orm } from '../orm.js';
import type { ChangeCaptureDialect } from './change-capture.js';

export type Dialect = ChangeCaptureDialect;
export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgresql'];

/** packages/models/migrations, where the committed migrations and their recorded state live. */
export const MIGRATIONS_ROOT = fileURLToPath(new URL('../../../migrations', import.meta.url));

export type EntityList = NonNullable<Options['entities']>;

/** MikroORM's snapshot of what the migrations built: `.snapshot-<dialect>.json` beside them. */
export function snapshotFile(dialect: Dialect): string {
  return `.snapshot-${dialect}.json`;
}

/** Reads and writes the snapshot at the path the options say; MikroORM keeps these two protected. */
class AuthoringMigrator extends Migrator {
  static override register(orm: MikroORM): void {
    orm.config.registerExtension(
      '@mikro-orm/migrator',
      () => new AuthoringMigrator(orm.em as SqlEntityManager),
    );
  }

  recordedSchema(): DatabaseSchema | undefined {
    return this.getSchemaFromSnapshot();
  }

  async recordCurrentSchema(): Promise<void> {
    await this.storeCurrentSchema();
  }
}

/**
 * Never connects: the schema diff runs between the snapshot and the entity metadata, so both
 * dialects' migrations are written on any machine, without a database (like Django's makemigrations).
 */
const offlineTargets: Record<Dialect, DatabaseTarget> = {
  sqlite: { dialect: 'sqlite', path: ':memory:', url: 'sqlite::memory:' },
  postgresql: { dialect: 'postgresql', url: 'postgresql://offline.invalid/tandem', database: 'tandem' },
};

export interface AuthoringOrm {
  readonly orm: Orm;
  readonly migrator: AuthoringMigrator;
}

export async function openAuthoringOrm(
  dialect: Dialect,
  entities: EntityList,
  directory: string,
  generator?: Constructor<IMigrationGenerator>,
): Promise<AuthoringOrm> {
  const base = ormOptions(offlineTargets[dialect], { connect: false, entities });
  const orm = (await MikroORM.init({
    ...base,
    extensions: [AuthoringMigrator],
    migrations: {
      ...base.migrations,
      path: directory,
      pathTs: directory,
      snapshot: true,
      snapshotName: path.basename(snapshotFile(dialect), '.json'),
      ...(generator ? { generator } : {}),
    },
  })) as Orm;
  return { orm, migrator: orm.getMigrator() as AuthoringMigrator };
}

/** MikroORM's comparison of the recorded schema with the entities (undefined: no snapshot yet). */
export function schemaDifference({ orm, migrator }: AuthoringOrm): SchemaDifference | undefined {
  const from = migrator.recordedSchema();
  if (!from) return undefined;
  const to = orm.getSchemaGenerator().getTargetSchema();
  from.prune(undefined, []);
  to.prune(undefined, []);
  return new SchemaComparator(orm.em.getPlatform()).compare(from, to);
}
