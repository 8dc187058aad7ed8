import { parseArgs } from 'node:util';
import { migratorOf, refuseUnmigratable } from '@tandem/models';
import { redactDatabaseUrl } from '@tandem/config';
import type { Command } from '../command.js';
import { openExistingOrm } from '../database.js';

/** Lists every migration with [X] when the database has applied it and [ ] when pending, like Django. */
export const showmigrationsCommand: Command = {
  name: 'showmigrations',
  summary: 'List the migrations: [X] applied, [ ] pending.',
  usage: 'showmigrations',
  async run(argv, { config, stdout }) {
    parseArgs({ args: argv, options: {}, strict: true });
    const orm = await openExistingOrm(config);
    try {
      await refuseUnmigratable(orm);
      const migrator = migratorOf(orm);
      const applied = new Set((await migrator.getExecutedMigrations()).map((row) => row.name));
      const pending = new Set((await migrator.getPendingMigrations()).map((migration) => migration.name));
      const names = [...new Set([...applied, ...pending])].sort();
      stdout.write(`Migrations (${redactDatabaseUrl(config.database)}):\n`);
      for (const name of names) {
        stdout.write(` [${applied.has(name) ? 'X' : ' '}] ${name}\n`);
      }
      if (names.length === 0) stdout.write(' (none)\n');
      return 0;
    } finally {
      await orm.close();
    }
  },
};
