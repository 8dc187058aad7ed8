import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';
import { createAccount } from '../accounts.js';
import { withOrm } from '../database.js';
import { PASSWORD_VARIABLE, givenPassword } from '../password-input.js';

/**
 * A non-interactive user creation for scripts and demos; roles are given by name and must exist. The
 * password comes from TANDEM_PASSWORD (password-input.ts says why not from the command line).
 */
export const createuserCommand: Command = {
  name: 'createuser',
  summary: 'Create a user with a password, roles and flags (no prompts).',
  usage: `createuser EMAIL [--role NAME]... [--staff] [--superuser] [--inactive]  (password in ${PASSWORD_VARIABLE})`,
  async run(argv, { config, env, stdout, stderr }) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        password: { type: 'string' },
        role: { type: 'string', multiple: true, default: [] },
        staff: { type: 'boolean', default: false },
        superuser: { type: 'boolean', default: false },
        inactive: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1)
      throw new UsageError(positionals.length === 0 ? 'EMAIL is required.' : 'give exactly one EMAIL.');
    const password = givenPassword('createuser', values.password, { env, stderr });
    if (password === undefined)
      throw new UsageError(
        `set ${PASSWORD_VARIABLE} to the password (--password P shows it to other users).`,
      );
    const [email] = positionals as [string];
    return withOrm(config, async (orm) => {
      const user = await createAccount(
        orm.em.fork(),
        {
          email,
          password,
          roles: values.role,
          staff: values.staff,
          superuser: values.superuser,
          active: !values.inactive,
        },
        'createuser',
      );
      const traits = [
        user.isSuperuser ? 'superuser' : user.isStaff ? 'staff' : undefined,
        user.isActive ? undefined : 'inactive',
        values.role.length > 0 ? `roles: ${[...new Set(values.role)].join(', ')}` : undefined,
      ].filter(Boolean);
      stdout.write(`User ${user.email} created${traits.length > 0 ? ` (${traits.join('; ')})` : ''}.\n`);
      return 0;
    });
  },
};
