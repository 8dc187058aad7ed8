import { missingSqliteFile, openOrm, type Orm } from '@tandem/models';
import type { Config } from '@tandem/config';
import { CommandError } from './command.js';

type OrmOverrides = Parameters<typeof openOrm>[1];

/**
 * Opens the configured database for a command that works on an existing one. openOrm creates a missing
 * SQLite file (a new database), which only `migrate` and `start` should do (missingSqliteFile).
 */
export async function openExistingOrm(config: Config, overrides?: OrmOverrides): Promise<Orm> {
  const missing = missingSqliteFile(config.database);
  if (missing) throw new CommandError(missing);
  return openOrm(config.database, overrides);
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
