import { parseArgs } from 'node:util';
import { migrate, openOrm } from '@tandem/models';
import { redactDatabaseUrl } from '@tandem/config';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending database migrations.',
  usage: 'migrate',
  async run(argv, { config, stdout }) {
    parseArgs({ args: argv, options: {}, strict: true });
    const orm = await openOrm(config.database);
    try {
      const applied = await migrate(orm);
      stdout.write(
        applied.length === 0
          ? `No migrations to apply (${redactDatabaseUrl(config.database)}).\n`
          : `Applied ${applied.length} migration(s) to ${redactDatabaseUrl(config.database)}:\n${applied.map((n) => `  ${n}\n`).join('')}`,
      );
      return 0;
    } finally {
      await orm.close();
    }
  },
};
