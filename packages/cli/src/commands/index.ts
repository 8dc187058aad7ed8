import type { Command } from '../command.js';
import { migrateCommand } from './migrate.js';

/** Every `tandem` command, in the order `tandem help` lists them. Add a file, then a line here. */
export const commands: readonly Command[] = [migrateCommand];
