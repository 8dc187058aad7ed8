/**
 * `npm test` runs the admin's test files in this one process, one file after another, in name order.
 * Run by `node --test dist/test/*.test.js`, each file was a process of its own that spent 4-7 s of CPU
 * importing AdminJS (thousands of modules: its bundler, Babel, Rollup) before its first test: over 40
 * files, more time than the tests themselves took in CI (SQLite pass: 331 s of wall time for 116 s of
 * tests). The files share nothing but the process: each starts and closes its own fixtures, and none
 * changes process.env. One file alone: `node --test dist/test/<name>.test.js`.
 */
import { readdirSync } from 'node:fs';

const here = new URL('.', import.meta.url);
for (const file of readdirSync(here)
  .filter((name) => name.endsWith('.test.js'))
  .sort())
  await import(new URL(file, here).href);
