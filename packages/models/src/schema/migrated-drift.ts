import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSchema, SchemaComparator } from '@mikro-orm/knex';
import pg from 'pg';
import { parseDatabaseUrl, type DatabaseTarget } from '@tandem/config';
import { migrate, migrationsIn, openOrm, type Orm } from '../orm.js';
import type { Dialect, EntityList } from './authoring-orm.js';
import { describeSchemaDifference } from './schema-changes.js';

/** Tables the migrations create without an entity on purpose (the admin's session store, the outbox prune's bound, the migrator's log). */
const TABLES_WITHOUT_ENTITY = ['admin_sessions', 'change_event_pruned', 'mikro_orm_migrations'];

/**
 * What separates a migrated database from the entities, "table: what" per difference (MikroORM's
 * comparator over the live schema). CHECK constraints are left out: they are dialect-specific SQL owned
 * by the migrations (a regex on PostgreSQL, GLOB on SQLite) that entity metadata cannot express.
 */
export async function migratedSchemaDrift(orm: Orm): Promise<string[]> {
  const platform = orm.em.getPlatform();
  const live = await DatabaseSchema.create(
    orm.em.getConnection(),
    platform,
    orm.config,
    undefined,
    undefined,
    undefined,
    TABLES_WITHOUT_ENTITY,
  );
  // SQLite's introspection keys foreign keys by column while the comparator looks them up by
  // constraint name, and would report every one of them as dropped: key them by name.
  for (const table of live.getTables()) {
    const keys = table.getForeignKeys();
    for (const [key, foreignKey] of Object.entries(keys))
      if (key !== foreignKey.constraintName) {
        delete keys[key];
        keys[foreignKey.constraintName] = foreignKey;
      }
  }
  const diff = new SchemaComparator(platform).compare(live, orm.getSchemaGenerator().getTargetSchema());
  for (const table of Object.values(diff.changedTables)) table.removedChecks = {};
  return describeSchemaDifference(diff);
}

/** The tables of `tables` without their change-capture triggers in a migrated database. */
export async function tablesMissingChangeCapture(
  orm: Orm,
  dialect: Dialect,
  tables: readonly string[],
): Promise<string[]> {
  const sql =
    dialect === 'sqlite'
      ? "select tbl_name as table_name from sqlite_master where type = 'trigger' and name like '%\\_change\\_insert' escape '\\'"
      : "select c.relname as table_name from pg_trigger t join pg_class c on c.oid = t.tgrelid where t.tgname like '%\\_change\\_capture'";
  const rows = await orm.em.getConnection().execute<{ table_name: string }[]>(sql);
  const present = new Set(rows.map((row) => row.table_name));
  return tables.filter((table) => !present.has(table));
}

/**
 * Applies the compiled migrations (the built ones, or those in `compiledMigrations`) to a new,
 * temporary SQLite database and reports how the result differs from the entities and hot tables
 * ("table: what" lines; empty when they match). Guards `makemigrations --record-only`, which records
 * the entities as what the migrations build, and backs `--check`: a migration whose recorded state
 * its SQL does not build (an `--empty` one never filled in) fails it.
 */
export async function scratchSqliteDrift(
  entities: EntityList,
  hotTables: readonly string[],
  compiledMigrations?: string,
): Promise<string[]> {
  const directory = await mkdtemp(path.join(tmpdir(), 'tandem-migrations-'));
  const file = path.join(directory, 'scratch.sqlite3');
  const target = { dialect: 'sqlite', path: file, url: `sqlite:${file}` } as const;
  try {
    return await migratedDrift(target, entities, hotTables, compiledMigrations);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * scratchSqliteDrift for the PostgreSQL migrations: applied to a new database created on the server
 * `serverUrl` names (its user needs CREATEDB), dropped afterwards.
 */
export async function scratchPostgresDrift(
  entities: EntityList,
  hotTables: readonly string[],
  serverUrl: string,
  compiledMigrations?: string,
): Promise<string[]> {
  const name = `tandem_check_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, `create database "${name}"`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await migratedDrift(parseDatabaseUrl(url.toString()), entities, hotTables, compiledMigrations);
  } finally {
    await onServer(serverUrl, `drop database if exists "${name}" with (force)`);
  }
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Migrates the empty database `target` and reports its drift from the entities and hot tables. */
async function migratedDrift(
  target: DatabaseTarget,
  entities: EntityList,
  hotTables: readonly string[],
  compiledMigrations: string | undefined,
): Promise<string[]> {
  const migrations = compiledMigrations === undefined ? {} : migrationsIn(target.dialect, compiledMigrations);
  const orm = await openOrm(target, { entities, ...migrations });
  try {
    await migrate(orm);
    const missing = await tablesMissingChangeCapture(orm, target.dialect, hotTables);
    return [
      ...(await migratedSchemaDrift(orm)),
      ...missing.map((table) => `${table}: no change-capture triggers`),
    ];
  } finally {
    await orm.close(true);
  }
}
