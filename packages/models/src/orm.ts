import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MikroORM, type Options } from '@mikro-orm/core';
import type { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/knex';
import type { Migrator } from '@mikro-orm/migrations';
import type { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { DatabaseTarget } from '@tandem/config';
import { entities, registry } from './registry.js';
import { DeclaredSchemas } from './declared-schemas.js';
import { MigrationBuildError, migrationBuildProblems } from './schema/migration-build.js';
import { StorableValues } from './storable-values.js';
import { indexReferences } from './reference-indexes.js';

export type Orm = MikroORM<AbstractSqlDriver, SqlEntityManager>;
type SqlOptions = Options<AbstractSqlDriver, SqlEntityManager>;

/**
 * Only the driver of the dialect in use is loaded, when the options are built, and the migrator only
 * when something migrates (`migratorOf`): each costs ~0.1–0.3 s of CPU to load, paid by every process
 * (the services, each `tandem` command, and the hundreds the test suites start). They are CommonJS,
 * so `require` loads them synchronously, resolved from this package (not from the working directory,
 * where MikroORM's own fallback for an unregistered migrator looks).
 */
const require = createRequire(import.meta.url);
const sqliteDriver = (): typeof BetterSqliteDriver =>
  (require('@mikro-orm/better-sqlite') as typeof import('@mikro-orm/better-sqlite')).BetterSqliteDriver;
const postgresDriver = (): typeof PostgreSqlDriver =>
  (require('@mikro-orm/postgresql') as typeof import('@mikro-orm/postgresql')).PostgreSqlDriver;

const registeredMigrators = new WeakSet<Orm>();

/** The ORM's migrator, registered on first use. */
export function migratorOf(orm: Orm): Migrator {
  const { Migrator: MigratorClass } =
    require('@mikro-orm/migrations') as typeof import('@mikro-orm/migrations');
  if (!registeredMigrators.has(orm)) {
    MigratorClass.register(orm);
    registeredMigrators.add(orm);
  }
  return orm.getMigrator() as Migrator;
}

/**
 * The ORM (or an EntityManager of it) speaks PostgreSQL, else SQLite: row locks, a database that may be
 * missing, planner estimates.
 */
export function isPostgres(source: Orm | Orm['em']): boolean {
  const em = 'getPlatform' in source ? source : source.em;
  return em.getPlatform().constructor.name.startsWith('PostgreSql');
}

/** Compiled migrations live next to the compiled package: dist/migrations/<dialect>. */
const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
const compiledRoot = fileURLToPath(new URL('..', import.meta.url));

/** The folder of a dialect's compiled migrations (what `migrate` applies). */
export function compiledMigrationsPath(dialect: DatabaseTarget['dialect']): string {
  return path.join(compiledRoot, 'migrations', dialect);
}

function migrationsFor(dialect: DatabaseTarget['dialect']): SqlOptions['migrations'] {
  return {
    tableName: 'mikro_orm_migrations',
    path: compiledMigrationsPath(dialect),
    pathTs: path.join(packageRoot, 'migrations', dialect),
    glob: '!(*.d).{js,ts}',
    transactional: true,
    allOrNothing: true,
    // The recorded state (.snapshot-<dialect>.json) is written by `tandem makemigrations` only
    // (src/schema/): with snapshots on, MikroORM would overwrite it with the migrated database's schema.
    snapshot: false,
    emit: 'ts',
    silent: true,
  };
}

/**
 * Options that apply the compiled migrations in `directory` (a scratch copy being checked) instead of
 * the package's own; they are their own sources there, so the build check passes.
 */
export function migrationsIn(dialect: DatabaseTarget['dialect'], directory: string): Partial<SqlOptions> {
  return { migrations: { ...migrationsFor(dialect), path: directory, pathTs: directory, glob: '*.js' } };
}

interface SqliteConnection {
  pragma(source: string): unknown;
}

/** MikroORM options for a target; `connect: false` lets build steps read metadata without a database. */
export function ormOptions(target: DatabaseTarget, overrides: Partial<SqlOptions> = {}): SqlOptions {
  const common = {
    entities,
    // Every entity's values are checked against their columns before any SQL (storable-values.ts).
    // Then each value against what its model's hot declaration publishes (declared-schemas.ts).
    subscribers: [new StorableValues(), new DeclaredSchemas(registry)],
    migrations: migrationsFor(target.dialect),
    // A reference is indexed on both databases, as Django's ForeignKey is (reference-indexes.ts).
    discovery: { afterDiscovered: indexReferences },
    // A database named wrong in DATABASE_URL is an error, not a new empty database (MikroORM's default).
    ensureDatabase: false,
    debug: false,
    ...overrides,
  };
  if (target.dialect === 'sqlite') {
    return {
      ...common,
      driver: sqliteDriver(),
      dbName: target.path,
      pool: {
        // Several processes (admin, auth, fast) share the file: WAL lets readers run beside the writer,
        // and busy_timeout makes a writer wait for the lock instead of failing with SQLITE_BUSY.
        afterCreate(connection: SqliteConnection, done: (error: Error | null, connection: unknown) => void) {
          connection.pragma('journal_mode = WAL');
          // In WAL mode, NORMAL syncs the WAL at checkpoints instead of on every commit (FULL): the
          // database cannot be corrupted, and commits survive an application crash; only an OS crash
          // or power loss can roll back the last commits before the next sync. This is SQLite's
          // recommended setting for WAL, and removes an fsync from every refresh-token rotation.
          connection.pragma('synchronous = NORMAL');
          connection.pragma('busy_timeout = 5000');
          connection.pragma('foreign_keys = ON');
          // `insert or replace` that replaces a row by another unique key (a product's sku) deletes
          // the old row; SQLite fires delete triggers for that only with recursive triggers on.
          // Without it change capture missed the delete and fast kept the old row under its old id.
          // (Capture's triggers write change_event, which has none, so nothing recurses.)
          connection.pragma('recursive_triggers = ON');
          done(null, connection);
        },
      },
    } as SqlOptions;
  }
  return { ...common, driver: postgresDriver(), clientUrl: target.url } as SqlOptions;
}

export async function openOrm(target: DatabaseTarget, overrides: Partial<SqlOptions> = {}): Promise<Orm> {
  // Metadata only (`connect: false`: fast, `tandem generate client`): no database file is needed.
  if (target.dialect === 'sqlite' && overrides.connect !== false) createPrivately(target.path);
  return MikroORM.init<AbstractSqlDriver, SqlEntityManager>(ormOptions(target, overrides));
}

/** SQLite's in-memory database (`:memory:`, or no path): no file at all. */
const inMemory = (file: string): boolean => file === ':memory:' || file === '';

/**
 * The SQLite file holds every password hash and session, so a new one is its owner's only, in a folder
 * only its owner may enter when this creates the folder. better-sqlite3 would create the file under the
 * umask (0644: readable by every local user); created here first, empty (SQLite takes an empty file
 * for a new database), with 0600, it keeps that mode, and SQLite gives its -wal and -shm files the
 * database file's mode. An existing file is left as it is (`tandem start` warns when it is exposed).
 */
function createPrivately(file: string): void {
  if (inMemory(file)) return;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * Throws MigrationBuildError when the compiled migrations `migrate` would apply are not their sources':
 * one written by makemigrations and not built yet (migrate said "No migrations to apply"), or one whose
 * source was deleted (tsc leaves its output, and migrate applied it).
 */
function refuseUnbuiltMigrations(orm: Orm): void {
  const { path: compiled, pathTs: sources } = orm.config.get('migrations');
  if (compiled === undefined || sources === undefined) return;
  const problems = migrationBuildProblems(sources, compiled);
  if (problems.unbuilt.length > 0 || problems.orphaned.length > 0)
    throw new MigrationBuildError(problems, compiled);
}

/** Refused before the migrator, which creates a database it does not find: DATABASE_URL names one that is not there. */
export class MissingDatabaseError extends Error {
  override name = 'MissingDatabaseError';
}

/**
 * Why `target` is not an existing database, for everything but `tandem migrate` and `tandem start`
 * (the only ones that make a new one): a SQLite file that is not there. openOrm would create it, and
 * a mistyped DATABASE_URL would then leave an empty database behind and fail later on missing tables
 * (a service retrying them forever). PostgreSQL's are checked by the server when connecting.
 */
export function missingSqliteFile(target: DatabaseTarget): string | undefined {
  if (target.dialect !== 'sqlite' || inMemory(target.path)) return undefined;
  if (existsSync(target.path)) return undefined;
  return (
    `the SQLite database ${target.path} does not exist: run \`tandem migrate\` to create it, or correct ` +
    'DATABASE_URL (or TANDEM_DATA_DIR, relative to the working directory). Nothing was created.'
  );
}

/**
 * Throws MissingDatabaseError when the PostgreSQL database the ORM was opened on does not exist. The
 * migrator would create it (MikroORM's ensureDatabase, which it runs whatever the ORM's option says):
 * a typo in DATABASE_URL then migrated a new, empty database, and `npm start` made a superuser there.
 */
async function requireDatabase(orm: Orm): Promise<void> {
  // SQLite has no database to be missing: a new file is a new database, made by openOrm.
  if (!isPostgres(orm)) return;
  try {
    await orm.em.getConnection().execute('select 1');
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
    const name = orm.config.get('dbName');
    throw new MissingDatabaseError(
      `The database "${name}" does not exist: create it first (\`createdb ${name}\`), or correct DATABASE_URL. Nothing was created.`,
    );
  }
}

/**
 * What every reader of the migrations checks first: the compiled migrations are the sources'
 * (refuseUnbuiltMigrations), and the database exists (requireDatabase), before the migrator touches it.
 */
export async function refuseUnmigratable(orm: Orm): Promise<void> {
  refuseUnbuiltMigrations(orm);
  await requireDatabase(orm);
}

/** Applies every pending migration; returns the names applied (empty when up to date). */
export async function migrate(orm: Orm): Promise<string[]> {
  await refuseUnmigratable(orm);
  const applied = await migratorOf(orm).up();
  return applied.map((migration) => migration.name);
}

export async function pendingMigrations(orm: Orm): Promise<string[]> {
  await refuseUnmigratable(orm);
  const pending = await migratorOf(orm).getPendingMigrations();
  return pending.map((migration) => migration.name);
}
