import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * services/admin, whether this file runs compiled (dist/src/paths.js) or from source (src/paths.ts).
 * The React components and the prebuilt front-end bundle live there, outside dist.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
export const PACKAGE_ROOT = here.includes(`${path.sep}dist${path.sep}`)
  ? path.resolve(here, '../..')
  : path.resolve(here, '..');

/** Custom React components (JSX, bundled by AdminJS at build time). */
export const COMPONENTS_DIR = path.join(PACKAGE_ROOT, 'components');

/** Where `npm run build` writes the front-end bundle; a non-dot folder because Express 5 refuses dot-folders. */
export const BUNDLE_DIR = path.join(PACKAGE_ROOT, 'adminjs-bundle');
