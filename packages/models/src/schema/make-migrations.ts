import { copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { SchemaDifference } from '@mikro-orm/knex';
import {
  DIALECTS,
  MIGRATIONS_ROOT,
  openAuthoringOrm,
  schemaDifference,
  snapshotFile,
  type Dialect,
  type EntityList,
} from './authoring-orm.js';
import {
  CHANGE_CAPTURE_STATE_FILE,
  changeCaptureStateJson,
  describeChangeCaptureStep,
  planChangeCapture,
  readChangeCaptureState,
  type ChangeCaptureStep,
  type ChangeCaptureState,
} from './change-capture-state.js';
import { generatorFor } from './migration-generator.js';
import {
  dataLossRefusals,
  describeSchemaDifference,
  sqliteRefusals,
  SQLITE_REFUSAL_HELP,
} from './schema-changes.js';
import { formatSource } from './format-source.js';

export interface MigrationAuthoringOptions {
  readonly entities: EntityList;
  /** Tables of hot collections: each gets change-capture triggers. */
  readonly hotTables: readonly string[];
  /** Default packages/models/migrations; tests point it at a copy. */
  readonly migrationsRoot?: string;
}

/** What separates one dialect's recorded migration state from the entities. */
export interface DialectChanges {
  readonly dialect: Dialect;
  /** "table: what" per schema difference (MikroORM's comparator). */
  readonly schema: readonly string[];
  readonly changeCapture: readonly ChangeCaptureStep[];
  readonly nextChangeCapture: ChangeCaptureState;
  /** Schema changes SQLite cannot ALTER in place (empty on PostgreSQL). */
  readonly refused: readonly string[];
  /** Changes that would lose data or cannot apply to rows already there, each with what to do instead. */
  readonly unsafe: readonly string[];
}

/** A state the user must fix before migrations can be written; the message says how. */
export class MigrationAuthoringError extends Error {
  override name = 'MigrationAuthoringError';
}

export function hasChanges(changes: readonly DialectChanges[]): boolean {
  return changes.some((dialect) => dialect.schema.length > 0 || dialect.changeCapture.length > 0);
}

/** Every difference, one line each, prefixed by its dialect: what `makemigrations --check` prints. */
export function describeChanges(changes: readonly DialectChanges[]): string[] {
  return changes.flatMap((dialect) =>
    [...dialect.schema, ...dialect.changeCapture.map(describeChangeCaptureStep)].map(
      (line) => `${dialect.dialect}: ${line}`,
    ),
  );
}

function missingState(directory: string, file: string): MigrationAuthoringError {
  return new MigrationAuthoringError(
    `${path.join(directory, file)} is missing: the migrations' recorded state. Restore it from git, or ` +
      'record the current entities with `tandem makemigrations --record-only` if the migrations already build them.',
  );
}

async function dialectChanges(
  dialect: Dialect,
  options: MigrationAuthoringOptions,
  root: string,
): Promise<DialectChanges> {
  const directory = path.join(root, dialect);
  const authoring = await openAuthoringOrm(dialect, options.entities, directory);
  try {
    const diff: SchemaDifference | undefined = schemaDifference(authoring);
    if (!diff) throw missingState(directory, snapshotFile(dialect));
    const recorded = readChangeCaptureState(directory);
    if (!recorded) throw missingState(directory, CHANGE_CAPTURE_STATE_FILE);
    const capture = planChangeCapture(recorded, options.hotTables);
    return {
      dialect,
      schema: describeSchemaDifference(diff),
      changeCapture: capture.steps,
      nextChangeCapture: capture.next,
      refused: dialect === 'sqlite' ? sqliteRefusals(diff) : [],
      unsafe: dataLossRefusals(diff),
    };
  } finally {
    await authoring.orm.close();
  }
}

/** Compares the entities (and hot tables) with the migrations' recorded state, for both dialects. */
export async function inspectMigrations(options: MigrationAuthoringOptions): Promise<DialectChanges[]> {
  const root = options.migrationsRoot ?? MIGRATIONS_ROOT;
  const changes: DialectChanges[] = [];
  for (const dialect of DIALECTS) changes.push(await dialectChanges(dialect, options, root));
  return changes;
}

/** 20261201203015: the migration timestamp format MikroORM uses, in UTC. */
function timestamp(now: Date): string {
  return now.toISOString().replace(/[-T:]|\.\d{3}Z$/g, '');
}

/**
 * Now, or one second after the newest existing migration of either dialect when that one is dated
 * later (a clock behind, a hand-named file): migrations apply in name order, so a new one sorts last.
 */
async function nextTimestamp(root: string, now: Date): Promise<string> {
  let latest = '';
  for (const dialect of DIALECTS)
    for (const file of await readdir(path.join(root, dialect))) {
      const stamp = /^Migration(\d{14})/.exec(file)?.[1];
      if (stamp && stamp > latest) latest = stamp;
    }
  const current = timestamp(now);
  if (current > latest) return current;
  const [, y, mo, d, h, mi, se] = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(latest)!;
  return timestamp(new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +se! + 1)));
}

export interface MakeMigrationsOptions extends MigrationAuthoringOptions {
  /** Suffix of the class and file name, e.g. "add_store" → Migration20261201203015_add_store. */
  readonly name?: string;
  /**
   * Write migrations without the schema SQL, to be filled in by hand (the change-capture calls are
   * still generated), and record the entities as their result: for what SQLite cannot ALTER.
   */
  readonly empty?: boolean;
  readonly now?: Date;
}

export interface WrittenMigrations {
  readonly className: string | null;
  /** Paths of the migration files written, one per dialect (empty when nothing changed). */
  readonly files: readonly string[];
  readonly changes: readonly DialectChanges[];
}

/**
 * Writes one migration per dialect for the differences, and the new recorded state beside them. All
 * files are written to a staging directory first and renamed into place only once both dialects
 * generated, so a failure never leaves one dialect's migration without the other's.
 */
export async function makeMigrations(options: MakeMigrationsOptions): Promise<WrittenMigrations> {
  if (options.name !== undefined && !/^[A-Za-z0-9_]{1,80}$/.test(options.name))
    throw new MigrationAuthoringError(
      `Migration name ${JSON.stringify(options.name)}: use letters, digits and underscores (at most 80).`,
    );
  const root = options.migrationsRoot ?? MIGRATIONS_ROOT;
  const changes = await inspectMigrations(options);
  const refused = changes.flatMap((dialect) => dialect.refused.map((line) => `${dialect.dialect}: ${line}`));
  if (refused.length > 0 && !options.empty)
    throw new MigrationAuthoringError(`${refused.join('\n')}\n${SQLITE_REFUSAL_HELP}`);
  const unsafe = changes.flatMap((dialect) => dialect.unsafe.map((line) => `${dialect.dialect}: ${line}`));
  if (unsafe.length > 0 && !options.empty)
    throw new MigrationAuthoringError(`${unsafe.join('\n')}\nNothing was written.`);
  if (!hasChanges(changes) && !options.empty) return { className: null, files: [], changes };

  const stamp = await nextTimestamp(root, options.now ?? new Date());
  const className = `Migration${stamp}${options.name ? `_${options.name}` : ''}`;
  for (const dialect of DIALECTS)
    if (existsSync(path.join(root, dialect, `${className}.ts`)))
      throw new MigrationAuthoringError(
        `${dialect}/${className}.ts exists already; wait a second or pick another --name.`,
      );

  const staging = await mkdtemp(path.join(root, '.staging-'));
  try {
    for (const dialect of changes) await stageDialect(dialect, className, options, root, staging);
    const files: string[] = [];
    for (const dialect of DIALECTS) {
      for (const file of await readdir(path.join(staging, dialect))) {
        const target = path.join(root, dialect, file);
        await rename(path.join(staging, dialect, file), target);
        if (file.endsWith('.ts')) files.push(target);
      }
    }
    return { className, files, changes };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function stageDialect(
  changes: DialectChanges,
  className: string,
  options: MakeMigrationsOptions,
  root: string,
  staging: string,
): Promise<void> {
  const { dialect } = changes;
  const directory = path.join(staging, dialect);
  await mkdir(directory);
  await copyFile(
    path.join(root, dialect, snapshotFile(dialect)),
    path.join(directory, snapshotFile(dialect)),
  );
  const blank = options.empty === true || changes.schema.length === 0;
  const summary = [
    ...changes.schema.map((line) => (options.empty ? `to write by hand: ${line}` : line)),
    ...changes.changeCapture.map(describeChangeCaptureStep),
  ];
  const generator = generatorFor({
    dialect,
    className,
    blank,
    changeCapture: changes.changeCapture,
    withDown: dialect === 'postgresql',
    summary,
  });
  const authoring = await openAuthoringOrm(dialect, options.entities, directory, generator);
  try {
    await authoring.migrator.createMigration(directory, blank, false, options.name);
  } catch (error) {
    // A change MikroORM (or knex under it) cannot turn into SQL offline, e.g. one more kind of SQLite
    // table rebuild: say which dialect and that nothing was written, not a bare TypeError.
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationAuthoringError(
      `the ${dialect} migration could not be generated (${reason}); nothing was written. ` +
        'Use `tandem makemigrations --empty` and write this change by hand.',
    );
  } finally {
    await authoring.orm.close();
  }
  await writeFile(
    path.join(directory, CHANGE_CAPTURE_STATE_FILE),
    changeCaptureStateJson(changes.nextChangeCapture),
  );
  for (const file of await readdir(directory)) {
    const full = path.join(directory, file);
    await writeFile(full, await formatSource(full, await readFile(full, 'utf8')));
  }
}

/**
 * Records the entities and hot tables as the migrations' state without writing a migration: after a
 * migration written by hand (the hand-written history before makemigrations, a teammate's migration).
 */
export async function recordMigrationState(options: MigrationAuthoringOptions): Promise<void> {
  const root = options.migrationsRoot ?? MIGRATIONS_ROOT;
  for (const dialect of DIALECTS) {
    const directory = path.join(root, dialect);
    const authoring = await openAuthoringOrm(dialect, options.entities, directory);
    try {
      await authoring.migrator.recordCurrentSchema();
    } finally {
      await authoring.orm.close();
    }
    const state = planChangeCapture({}, options.hotTables).next;
    await writeFile(path.join(directory, CHANGE_CAPTURE_STATE_FILE), changeCaptureStateJson(state));
    for (const file of [snapshotFile(dialect), CHANGE_CAPTURE_STATE_FILE]) {
      const full = path.join(directory, file);
      await writeFile(full, await formatSource(full, await readFile(full, 'utf8')));
    }
  }
}
