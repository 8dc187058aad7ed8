#!/usr/bin/env node
// The `tandem` command (Django's manage.py). A plain JS shim so the bin link exists before the first build.
// Plain JavaScript outside the TypeScript build, so lint needs to be told it runs on Node.
/* global process, console, URL */
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('tandem: the CLI is not built yet; run `npm run build` (or `npm start`) first.');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
