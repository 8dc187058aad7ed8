import { openOrm, type Orm } from '@tandem/models';
import type { Config } from '@tandem/config';

/** Opens the configured database for one command and always closes it, so the process can exit. */
export async function withOrm<T>(config: Config, work: (orm: Orm) => Promise<T>): Promise<T> {
  const orm = await openOrm(config.database);
  try {
    return await work(orm);
  } finally {
    await orm.close(true);
  }
}
