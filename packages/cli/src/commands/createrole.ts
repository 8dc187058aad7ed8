import { parseArgs } from 'node:util';
import {
  ALL_PERMISSION_CODENAMES,
  ModelValidationError,
  Role,
  commandActor,
  fieldDiff,
  recordAudit,
} from '@tandem/models';
import { CommandError, UsageError, type Command } from '../command.js';
import { withOrm } from '../database.js';
import { scopeWarnings } from '../scope-warnings.js';

/** The longest role name the roles table holds. */
const NAME_LENGTH = 80;

/** Each --perm must be a codename the admin knows; a typo is named, with the known ones listed. */
function checkedPermissions(perms: readonly string[]): string[] {
  const unknown = perms.filter((codename) => !ALL_PERMISSION_CODENAMES.includes(codename));
  if (unknown.length > 0)
    throw new UsageError(
      `unknown permission codename${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. ` +
        `Known: ${ALL_PERMISSION_CODENAMES.join(', ')}.`,
    );
  return [...new Set(perms)];
}

/** One scope per --scope: "catalog:read catalog:write" would be stored as one scope nobody asks for. */
function checkedScopes(scopes: readonly string[]): string[] {
  const spaced = scopes.filter((scope) => /\s/.test(scope) || scope === '');
  if (spaced.length > 0)
    throw new UsageError(
      `one scope per --scope, without spaces: ${spaced.map((scope) => JSON.stringify(scope)).join(', ')}. ` +
        'Give --scope catalog:read --scope catalog:write.',
    );
  return [...new Set(scopes)];
}

/**
 * `tandem createrole NAME --perm view_product ... --scope catalog:read ...`: a role for scripts, as
 * the admin's role form makes it. Bad input (unknown codename, a scope with spaces, a name taken)
 * is refused before anything is written.
 */
export const createroleCommand: Command = {
  name: 'createrole',
  summary: 'Create a role with admin permissions (--perm) and token scopes (--scope).',
  usage: 'createrole NAME [--perm CODENAME]... [--scope SCOPE]...',
  async run(argv, { config, stdout, stderr }) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        perm: { type: 'string', multiple: true, default: [] },
        scope: { type: 'string', multiple: true, default: [] },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0 ? 'NAME is required.' : 'give exactly one NAME (quote it if it has spaces).',
      );
    const name = positionals[0]!.trim();
    if (name === '') throw new UsageError('NAME must not be blank.');
    if (name.length > NAME_LENGTH) throw new UsageError(`NAME is at most ${NAME_LENGTH} characters.`);
    const permissions = checkedPermissions(values.perm);
    const scopes = checkedScopes(values.scope);
    return withOrm(config, async (orm) => {
      const em = orm.em.fork();
      const taken = `A role named "${name}" already exists; choose another name.`;
      if ((await em.count(Role, { name })) > 0) throw new CommandError(taken);
      try {
        // The role and its audit entry commit together, as the admin's role form writes them.
        await em.transactional(async (tx) => {
          const role = tx.create(Role, { name, permissions, scopes });
          await tx.flush();
          recordAudit(tx, {
            actor: commandActor('createrole'),
            action: 'create',
            model: 'Role',
            recordId: role.id,
            diff: fieldDiff(null, { name, permissions, scopes }),
          });
        });
      } catch (error) {
        if (error instanceof ModelValidationError) throw new CommandError(error.message);
        // Created by someone else between the check and the insert.
        if (error instanceof Error && error.name === 'UniqueConstraintViolationException')
          throw new CommandError(taken);
        throw error;
      }
      stdout.write(
        `Role "${name}" created with ${permissions.length > 0 ? `permissions ${permissions.join(', ')}` : 'no permissions'}` +
          ` and ${scopes.length > 0 ? `scopes ${scopes.join(' ')}` : 'no scopes'}.\n`,
      );
      for (const warning of scopeWarnings(scopes, 'role')) stderr.write(`${warning}\n`);
      return 0;
    });
  },
};
