import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The path of another workspace's build output, or a clear failure naming the build to run. A missing
 * build is a broken checkout, not an environment without the feature: the tests that need it must fail,
 * never skip (the root `npm test` builds every workspace first).
 */
export function requireBuilt(url: URL, workspace: string): string {
  const path = fileURLToPath(url);
  if (!existsSync(path))
    throw new Error(`${path} does not exist: build ${workspace} first (npm run build -w ${workspace})`);
  return path;
}
