import { parseArgs } from 'node:util';
import { ModelValidationError } from '@tandem/models';
import { createClient, parseScope } from '@tandem/tokens';
import { CommandError, UsageError, type Command } from '../command.js';
import { withOrm } from '../database.js';
import { secretKeyFor } from './keys.js';

/** `tandem createclient NAME --scope "catalog:read"`: a machine client; the secret is printed once. */
export const createclientCommand: Command = {
  name: 'createclient',
  summary: 'Create a machine client (client_credentials) and print its client_id and secret once.',
  usage: 'createclient NAME --scope "SCOPE [SCOPE...]" [--scope SCOPE]...',
  async run(argv, { config, stdout }) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { scope: { type: 'string', multiple: true, default: [] } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length === 0 ? 'NAME is required.' : 'give exactly one NAME (quote it if it has spaces).',
      );
    const scopes = parseScope(values.scope.join(' '));
    if (scopes === undefined)
      throw new UsageError('--scope takes space-separated scopes such as "catalog:read".');
    const secretKey = secretKeyFor(config);
    return withOrm(config, async (orm) => {
      let created;
      try {
        created = await createClient(orm.em, { name: positionals[0]!, scopes }, secretKey);
      } catch (error) {
        if (error instanceof ModelValidationError) throw new CommandError(error.message);
        throw error;
      }
      stdout.write(
        `Client "${created.client.name}" created${scopes.length > 0 ? ` with scope "${scopes.join(' ')}"` : ' (no scopes)'}.\n` +
          `client_id:     ${created.client.clientId}\n` +
          `client_secret: ${created.clientSecret}\n` +
          'Store the secret now: it is shown only this once (only a keyed hash of it is kept).\n',
      );
      return 0;
    });
  },
};
