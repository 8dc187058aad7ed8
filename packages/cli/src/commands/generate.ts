import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CommandError, UsageError, type Command } from '../command.js';
import { ClientGenerationError } from '../generate/openapi-collections.js';
import {
  clientCollectionsFile,
  clientCollectionsSource,
  committedClientCollections,
} from '../generate/client-collections.js';

/**
 * `tandem generate client [--check]`: rewrites the generated part of @tandem/client (a record type per
 * hot collection) from the projections and the ORM metadata; `--check` only compares and exits 1 when
 * the committed file is stale.
 */
export const generateCommand: Command = {
  name: 'generate',
  summary:
    'Regenerate the typed client (packages/client) after a model change; --check fails if it is stale.',
  usage: 'generate client [--check] [--out FILE]',
  async run(argv, { config, stdout }) {
    const { positionals, values } = parseArgs({
      args: argv,
      options: { check: { type: 'boolean', default: false }, out: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1 || positionals[0] !== 'client')
      throw new UsageError('say what to generate: "client".');
    const file = values.out ? path.resolve(values.out) : clientCollectionsFile();
    let source: string;
    try {
      source = await clientCollectionsSource(config.database);
    } catch (error) {
      if (error instanceof ClientGenerationError) throw new CommandError(error.message);
      throw error;
    }
    const committed = await committedClientCollections(file);
    if (values.check) {
      if (committed === source) {
        stdout.write(`${file} is up to date.\n`);
        return 0;
      }
      throw new CommandError(
        `${file} is stale: the models or projections changed. Run \`npx tandem generate client\` and commit it.`,
      );
    }
    if (committed === source) {
      stdout.write(`${file} is already up to date.\n`);
      return 0;
    }
    await writeFile(file, source);
    stdout.write(`Wrote ${file}. Rebuild the client: npm run build -w @tandem/client\n`);
    return 0;
  },
};
