import { existsSync } from 'node:fs';
import path from 'node:path';
import { BUNDLE_DIR } from './paths.js';

/**
 * AdminJS reads NODE_ENV, ADMIN_JS_TMP_DIR and ADMIN_JS_SKIP_BUNDLE when it is first imported, so
 * these are set before `adminjs` is loaded (main.ts and bundle.ts import it dynamically afterwards).
 * They are AdminJS switches, not Tandem settings: Tandem's own configuration stays in @tandem/config.
 *
 * - serve: production assets and the bundle prebuilt by `npm run build`; when it is missing, AdminJS
 *   bundles once at start-up instead (slower start, same result). Returns whether it was prebuilt.
 * - build: write the bundle into BUNDLE_DIR.
 */
export function prepareAdminJsEnvironment(mode: 'serve' | 'build'): boolean {
  process.env.NODE_ENV = 'production';
  process.env.ADMIN_JS_TMP_DIR = BUNDLE_DIR;
  const prebuilt = existsSync(path.join(BUNDLE_DIR, 'bundle.js'));
  process.env.ADMIN_JS_SKIP_BUNDLE = mode === 'serve' && prebuilt ? 'true' : 'false';
  return prebuilt;
}
