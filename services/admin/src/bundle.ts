/**
 * Build step (run by `npm run build` after tsc): bundles the admin's React components into
 * adminjs-bundle/, so the admin starts without bundling anything, then stores every script the pages
 * load under a content-hashed name with its gzip and brotli forms (hashed-assets.ts). Needs no database: the ORM is
 * initialised with connect: false only to read entity metadata.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDatabaseUrl } from '@tandem/config';
import { openOrm } from '@tandem/models';
import { prepareAdminJsEnvironment } from './adminjs-env.js';
import { precompressAssets } from './hashed-assets.js';
import { BUNDLE_DIR } from './paths.js';

prepareAdminJsEnvironment('build');
const { default: AdminJS } = await import('adminjs');
const { adminOptions } = await import('./admin-options.js');
const { createComponents } = await import('./components.js');

const orm = await openOrm(
  parseDatabaseUrl(`sqlite:${path.join(tmpdir(), 'tandem-bundle-metadata-only.sqlite3')}`),
  { connect: false },
);
const started = Date.now();
await new AdminJS(adminOptions(orm, createComponents())).initialize();
await orm.close(true);
process.stdout.write(`admin: front-end bundle written to ${BUNDLE_DIR} in ${Date.now() - started} ms\n`);

// The scripts every page loads (AdminJS's three and Tandem's components), hashed and precompressed.
const compressing = Date.now();
const { Router } = await import('adminjs');
const manifest = precompressAssets(Router.assets.filter((asset) => asset.path.endsWith('.js')));
process.stdout.write(
  `admin: ${Object.keys(manifest).length} scripts hashed and precompressed in ${Date.now() - compressing} ms\n`,
);
