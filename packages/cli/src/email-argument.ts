import { parseArgs } from 'node:util';
import { normalizeEmail } from '@tandem/models';
import { UsageError } from './command.js';

/** The one EMAIL positional of a command such as `changepassword EMAIL`, normalized; else a usage error. */
export function emailArgument(argv: string[]): string {
  const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1)
    throw new UsageError(positionals.length === 0 ? 'EMAIL is required.' : 'give exactly one EMAIL.');
  return normalizeEmail(positionals[0]!);
}
