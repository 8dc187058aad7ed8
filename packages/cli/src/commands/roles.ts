import { parseArgs } from 'node:util';
import { Role } from '@tandem/models';
import { UsageError, type Command } from '../command.js';
import { withOrm } from '../database.js';

/** `tandem roles [--json]`: every role with its permissions and scopes, by name. */
export const rolesCommand: Command = {
  name: 'roles',
  summary: 'List the roles with their permissions and scopes (--json for scripts).',
  usage: 'roles [--json]',
  async run(argv, { config, stdout }) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new UsageError('roles takes no arguments.');
    return withOrm(config, async (orm) => {
      const roles = await orm.em.fork().find(Role, {}, { orderBy: { name: 'asc' } });
      const plain = roles.map(({ name, permissions, scopes }) => ({ name, permissions, scopes }));
      if (values.json) {
        stdout.write(`${JSON.stringify(plain, null, 2)}\n`);
        return 0;
      }
      if (plain.length === 0) {
        stdout.write('No roles yet (tandem createrole NAME --perm CODENAME ... makes one).\n');
        return 0;
      }
      const list = (items: readonly string[]) => (items.length > 0 ? items.join(', ') : '-');
      stdout.write(
        plain
          .map(
            (role) =>
              `${role.name}\n  permissions: ${list(role.permissions)}\n  scopes:      ${list(role.scopes)}\n`,
          )
          .join(''),
      );
      return 0;
    });
  },
};
