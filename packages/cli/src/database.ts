import { existsSync } from 'node:fs';
import { openOrm, type Orm } from '@tandem/models';
import type { Config } from '@tandem/config';
import { CommandError } from './command.js';

type OrmOverrides = Parameters<typeof openOrm>[1];

/**
 * Opens the configured database for a command that works on an existing one. openOrm creates a missing
 * SQLite file (a new database), which only `migrate` and `start` should do: any other command would
 * leave an empty database at a mistyped DATABASE_URL and then fail on its missing tables.
 */
export async function openExistingOrm(config: Config, overrides?: OrmOverrides): Promise<Orm> {
  const target = config.database;
  if (target.dialect === 'sqlite' && !existsSync(target.path))
    throw new CommandError(
      `the SQLite database ${target.path} does not exist: run \`tandem migrate\` to create it, or correct ` +
        'DATABASE_URL (or TANDEM_DATA_DIR, relative to the working directory). Nothing was created.',
    );
  return openOrm(target, overrides);
}

/**
 * Opens the configured database for one command and always closes it, so the process can exit.
 * `create`: a missing SQLite file becomes a new database (`tandem start`); otherwise it is an error.
 */
export async function withOrm<T>(
  config: Config,
  work: (orm: Orm) => Promise<T>,
  { create = false }: { create?: boolean } = {},
): Promise<T> {
  const orm = create ? await openOrm(config.database) : await openExistingOrm(config);
  try {
    return await work(orm);
  } finally {
    await orm.close(true);
  }
}
