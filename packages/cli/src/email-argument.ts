import { parseArgs } from 'node:util';
import type { Config } from '@tandem/config';
import { normalizeEmail, type Orm, type User } from '@tandem/models';
import { CommandError, UsageError } from './command.js';
import { findUserByEmail } from './accounts.js';
import { withOrm } from './database.js';

/** The one EMAIL positional of a command such as `changepassword EMAIL`, normalized; else a usage error. */
export function emailArgument(argv: string[]): string {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1)
    throw new UsageError(positionals.length === 0 ? 'EMAIL is required.' : 'give exactly one EMAIL.');
  return normalizeEmail(positionals[0]!);
}

/** Runs `work` on the user named by the command's EMAIL argument; an unknown email is a CommandError. */
export async function withUserArgument<T>(
  argv: string[],
  config: Config,
  work: (em: Orm['em'], user: User) => Promise<T>,
): Promise<T> {
  const email = emailArgument(argv);
  return withOrm(config, async (orm) => {
    const em = orm.em.fork();
    const user = await findUserByEmail(em, email);
    if (!user) throw new CommandError(`no user with email ${email}.`);
    return work(em, user);
  });
}
