import type { CommandContext } from './command.js';

/**
 * Where the non-interactive commands (createuser, seed) read a password: the environment, as
 * createsuperuser --no-input reads TANDEM_SUPERUSER_PASSWORD. A process's environment is readable by
 * its owner only (/proc/<pid>/environ), its arguments by every local user (ps, /proc/<pid>/cmdline).
 */
export const PASSWORD_VARIABLE = 'TANDEM_PASSWORD';

/**
 * The password given to `command`: `--password` (still accepted, for scripts written before, with a
 * warning on stderr), else TANDEM_PASSWORD; undefined when neither is set (or the variable is empty).
 */
export function givenPassword(
  command: string,
  option: string | undefined,
  { env, stderr }: Pick<CommandContext, 'env' | 'stderr'>,
): string | undefined {
  if (option !== undefined) {
    stderr.write(
      `tandem ${command}: warning: --password is visible to other users of this machine (ps, /proc); ` +
        `set ${PASSWORD_VARIABLE} instead.\n`,
    );
    return option;
  }
  const fromEnvironment = env[PASSWORD_VARIABLE];
  return fromEnvironment === '' ? undefined : fromEnvironment;
}
