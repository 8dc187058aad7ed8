/**
 * A scratch copy of this repository to change as a user would (the tutorial test): every source and
 * compiled file, without .git, .data and node_modules; its node_modules links each installed package
 * from the real one, except @tandem/*, which point at the copy's own workspaces, so that the copy's
 * services load the copy's models (each workspace's own node_modules, where npm made one, is linked).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const SKIPPED = new Set(['node_modules', '.git', '.data', '.turbo', 'e2e']);

export interface ScratchRepository {
  readonly root: string;
  path(relative: string): string;
  remove(): void;
}

export function scratchRepository(): ScratchRepository {
  const root = mkdtempSync(path.join(tmpdir(), 'tandem-scratch-repo-'));
  cpSync(REPOSITORY, root, {
    recursive: true,
    filter: (source) => {
      const relative = path.relative(REPOSITORY, source);
      if (relative === '') return true;
      const parts = relative.split(path.sep);
      if (parts.includes('node_modules')) return false;
      return (
        !(parts.length === 1 && SKIPPED.has(parts[0]!)) && !parts[parts.length - 1]!.startsWith('scratch-')
      );
    },
  });
  const modules = path.join(root, 'node_modules');
  mkdirSync(path.join(modules, '@tandem'), { recursive: true });
  const real = path.join(REPOSITORY, 'node_modules');
  for (const entry of readdirSync(real)) {
    if (entry === '@tandem') continue;
    symlinkSync(path.join(real, entry), path.join(modules, entry));
  }
  for (const group of ['packages', 'services'])
    for (const workspace of readdirSync(path.join(root, group))) {
      symlinkSync(path.join(root, group, workspace), path.join(modules, '@tandem', workspace), 'dir');
      // A workspace's own node_modules: npm puts a dependency there when its version differs from the
      // root's (packages/models and services/fast use ajv 8; the root's is eslint's ajv 6).
      const own = path.join(REPOSITORY, group, workspace, 'node_modules');
      if (existsSync(own)) symlinkSync(own, path.join(root, group, workspace, 'node_modules'), 'dir');
    }
  return {
    root,
    path: (relative) => path.join(root, relative),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
