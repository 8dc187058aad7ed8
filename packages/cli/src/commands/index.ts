import type { Command } from '../command.js';
import { applierCommand } from './applier.js';
import { changepasswordCommand } from './changepassword.js';
import { createclientCommand } from './createclient.js';
import { createroleCommand } from './createrole.js';
import { createsuperuserCommand } from './createsuperuser.js';
import { createuserCommand } from './createuser.js';
import { generateCommand } from './generate.js';
import { keysCommand } from './keys.js';
import { makemigrationsCommand } from './makemigrations.js';
import { migrateCommand } from './migrate.js';
import { relayCommand } from './relay.js';
import { reset2faCommand } from './reset2fa.js';
import { rolesCommand } from './roles.js';
import { seedCommand } from './seed.js';
import { showmigrationsCommand } from './showmigrations.js';
import { startCommand } from './start.js';

/** Every `tandem` command, in the order `tandem help` lists them. Add a file, then a line here. */
export const commands: readonly Command[] = [
  makemigrationsCommand,
  migrateCommand,
  showmigrationsCommand,
  createsuperuserCommand,
  createuserCommand,
  changepasswordCommand,
  createroleCommand,
  rolesCommand,
  reset2faCommand,
  keysCommand,
  createclientCommand,
  seedCommand,
  startCommand,
  relayCommand,
  applierCommand,
  generateCommand,
];
