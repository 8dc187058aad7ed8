import { parseArgs } from 'node:util';
import { ModelValidationError } from '@tandem/models';
import { createClient, parseScope } from '@tandem/tokens';
import { CommandError, UsageError, type Command } from '../command.js';
import { withOrm } from '../database.js';
import { checkInstallationKey, readInstallationKey } from '../installation-key.js';
import { scopeWarnings } from '../scope-warnings.js';

/**
 * `tandem createclient NAME --scope "catalog:read"`: a machine client by default; with
 * `--redirect-uri` an app that signs people in (authorization code + PKCE, and refresh tokens).
 * The secret (none for `--public`) is printed once.
 */
export const createclientCommand: Command = {
  name: 'createclient',
  summary:
    'Create a client (a machine client, or an app signing people in with --redirect-uri) and print its client_id and secret once.',
  usage:
    'createclient NAME [--scope "SCOPE [SCOPE...]"] [--redirect-uri URI]... [--origin ORIGIN]... [--grant TYPE]... [--public] [--first-party]',
  async run(argv, { config, stdout, stderr }) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        scope: { type: 'string', multiple: true, default: [] },
        'redirect-uri': { type: 'string', multiple: true, default: [] },
        origin: { type: 'string', multiple: true, default: [] },
        grant: { type: 'string', multiple: true, default: [] },
        public: { type: 'boolean', default: false },
        'first-party': { type: 'boolean', default: false },
      },
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
    const redirectUris = values['redirect-uri'];
    // With redirect URIs it signs people in; otherwise it is a machine client.
    const grantTypes =
      values.grant.length > 0
        ? values.grant
        : redirectUris.length > 0
          ? ['authorization_code', 'refresh_token']
          : ['client_credentials'];
    const key = readInstallationKey(config);
    return withOrm(config, async (orm) => {
      // The services must verify the secret with the same key, or the client can never authenticate.
      const secretKey = await checkInstallationKey(orm, key);
      let created;
      try {
        created = await createClient(
          orm.em,
          {
            name: positionals[0]!,
            scopes,
            redirectUris,
            allowedOrigins: values.origin,
            grantTypes,
            isPublic: values.public,
            isFirstParty: values['first-party'],
          },
          secretKey,
        );
      } catch (error) {
        if (error instanceof ModelValidationError) throw new CommandError(error.message);
        throw error;
      }
      const { client, clientSecret } = created;
      // A machine client's tokens name no user (client_credentials is its only way to a token).
      const machine = client.grantTypes.every((grant) => grant === 'client_credentials');
      for (const warning of scopeWarnings(scopes, 'client', { machine })) stderr.write(`${warning}\n`);
      stdout.write(
        `Client "${client.name}" created${scopes.length > 0 ? ` with scope "${scopes.join(' ')}"` : ' (no scopes)'}` +
          ` and grants ${client.grantTypes.join(', ')}.\n` +
          `client_id:     ${client.clientId}\n` +
          (clientSecret === undefined
            ? 'Public client: no secret (it must use PKCE).\n'
            : `client_secret: ${clientSecret}\n` +
              'Store the secret now: it is shown only this once (only a keyed hash of it is kept).\n'),
      );
      return 0;
    });
  },
};
