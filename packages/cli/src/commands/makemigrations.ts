import path from 'node:path';
import { parseArgs } from 'node:util';
import { entities } from '@tandem/models';
import {
  MigrationAuthoringError,
  describeChanges,
  hasChanges,
  inspectMigrations,
  makeMigrations,
  recordMigrationState,
  scratchPostgresDrift,
  scratchSqliteDrift,
  staleModelSources,
  type Dialect,
  type DialectChanges,
  type EntityList,
} from '@tandem/models/authoring';
import { CommandError, UsageError, type Command } from '../command.js';
import { hotTableNames } from '../migrations/hot-tables.js';

function list(lines: readonly string[]): string {
  return lines.map((line) => `  ${line}\n`).join('');
}

/** What `makemigrations --check` prints, and its exit code: 1 when models and migrations disagree. */
export function checkReport(changes: readonly DialectChanges[]): {
  readonly code: number;
  readonly text: string;
} {
  if (!hasChanges(changes))
    return { code: 0, text: 'No changes detected: the migrations match the models.\n' };
  return {
    code: 1,
    text:
      `The models and the migrations disagree:\n${list(describeChanges(changes))}` +
      'Run `tandem makemigrations` to write the migrations (or, if these are the changes of a migration\n' +
      'you kept after restoring the state files from git, `tandem makemigrations --record-only`).\n',
  };
}

/** Where `--check` builds each dialect's migrations, beside the recorded state. */
export interface CheckTargets {
  /** A PostgreSQL server (DATABASE_URL) to build the PostgreSQL migrations on; unset: not built. */
  readonly postgresUrl?: string;
  /** Compiled migrations to build instead of the built ones (tests' scratch copies). */
  readonly compiled?: (dialect: Dialect) => string;
}

/**
 * `makemigrations --check`: the recorded state must match the models, and each dialect's migration SQL
 * must build that state, applied to a scratch database (SQLite always; PostgreSQL on the server
 * DATABASE_URL names, when it names one). The second catches what the first cannot: an `--empty`
 * migration recorded but never filled in, or hand-written SQL that builds something else.
 */
export async function migrationCheck(
  options: { entities: EntityList; hotTables: readonly string[]; migrationsRoot?: string },
  targets: CheckTargets = {},
): Promise<{ readonly code: number; readonly text: string }> {
  const report = checkReport(await authoring(() => inspectMigrations(options)));
  if (report.code !== 0) return report;
  const { entities, hotTables } = options;
  const drifts: [string, string[]][] = [
    ['SQLite', await scratchSqliteDrift(entities, hotTables, targets.compiled?.('sqlite'))],
  ];
  if (targets.postgresUrl !== undefined)
    drifts.push([
      'PostgreSQL',
      await scratchPostgresDrift(entities, hotTables, targets.postgresUrl, targets.compiled?.('postgresql')),
    ]);
  const failed = drifts.filter(([, drift]) => drift.length > 0);
  if (failed.length === 0) {
    const unchecked =
      targets.postgresUrl === undefined
        ? "The PostgreSQL migrations' SQL was not built: set DATABASE_URL to a PostgreSQL server to check it too.\n"
        : '';
    return { code: 0, text: report.text + unchecked };
  }
  return {
    code: 1,
    text:
      failed
        .map(
          ([dialect, drift]) =>
            `The migrations' recorded state matches the models, but their SQL does not build it (${dialect}):\n${list(drift)}`,
        )
        .join('') +
      'Write the missing SQL in the newest migration of each dialect (an --empty one lists it), then build @tandem/models.\n',
  };
}

/** Turns the authoring library's refusals (SQLite cannot ALTER that, a missing snapshot) into exit 1. */
async function authoring<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof MigrationAuthoringError) throw new CommandError(error.message);
    throw error;
  }
}

export const makemigrationsCommand: Command = {
  name: 'makemigrations',
  summary: 'Write a migration per dialect (SQLite, PostgreSQL) for what changed in the models.',
  usage: 'makemigrations [--name NAME] [--empty] | makemigrations --check | makemigrations --record-only',
  async run(argv, context) {
    const { stdout } = context;
    const { values } = parseArgs({
      args: argv,
      options: {
        name: { type: 'string' },
        check: { type: 'boolean', default: false },
        empty: { type: 'boolean', default: false },
        'record-only': { type: 'boolean', default: false },
      },
      strict: true,
    });
    const modes = [values.check, values['record-only'], values.empty || values.name !== undefined].filter(
      Boolean,
    );
    if (modes.length > 1) throw new UsageError('--check and --record-only take no other option.');
    if (values.name !== undefined && !/^[A-Za-z0-9_]{1,80}$/.test(values.name))
      throw new UsageError('--name: use letters, digits and underscores (at most 80), e.g. add_store.');
    const stale = staleModelSources();
    if (stale.length > 0)
      throw new CommandError(
        `these model sources changed since the last build: ${stale.slice(0, 5).join(', ')}` +
          `${stale.length > 5 ? ', ...' : ''}. Run \`npm run build -w @tandem/models\` first.`,
      );
    const options = { entities, hotTables: hotTableNames() };

    if (values.check) {
      const { database } = context.config;
      const report = await migrationCheck(
        options,
        database.dialect === 'postgresql' ? { postgresUrl: database.url } : {},
      );
      stdout.write(report.text);
      return report.code;
    }

    if (values['record-only']) {
      const drift = await scratchSqliteDrift(options.entities, options.hotTables);
      if (drift.length > 0)
        throw new CommandError(
          `the migrations do not build the models, so this state cannot be recorded:\n${list(drift)}` +
            'Fix the migration written by hand (and build @tandem/models), or let `tandem makemigrations` write it.',
        );
      await authoring(() => recordMigrationState(options));
      stdout.write(
        "Recorded the models as the migrations' state (.snapshot-*.json, .change-capture.json).\n",
      );
      return 0;
    }

    const written = await authoring(() =>
      makeMigrations({ ...options, empty: values.empty, ...(values.name ? { name: values.name } : {}) }),
    );
    if (written.files.length === 0) {
      stdout.write('No changes detected.\n');
      return 0;
    }
    const shown = written.files.map((file) => path.relative(process.cwd(), file));
    stdout.write(
      `Wrote ${written.className}:\n${list(shown)}${list(describeChanges(written.changes))}` +
        (values.empty ? 'Write the SQL the comments list in both files, then build and migrate.\n' : '') +
        'Build (npm run build -w @tandem/models), then apply with `tandem migrate`.\n',
    );
    return 0;
  },
};
