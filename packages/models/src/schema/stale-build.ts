import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { MIGRATIONS_ROOT } from './authoring-orm.js';

const packageRoot = path.dirname(MIGRATIONS_ROOT);

function sources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/**
 * Sources of @tandem/models changed since the last build (relative paths): makemigrations reads the
 * compiled entities, so it would diff the models as they were at the last `npm run build`. Empty where
 * the sources are not shipped.
 */
export function staleModelSources(): string[] {
  const src = path.join(packageRoot, 'src');
  if (!existsSync(src)) return [];
  return sources(src)
    .filter((file) => {
      const compiled = path
        .join(packageRoot, 'dist', path.relative(packageRoot, file))
        .replace(/\.ts$/, '.js');
      return !existsSync(compiled) || statSync(compiled).mtimeMs < statSync(file).mtimeMs;
    })
    .map((file) => path.relative(packageRoot, file));
}
