import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where the compiled migrations `migrate` applies differ from their sources. */
export interface MigrationBuildProblems {
  /** Sources with no compiled file, or one older than the source: not applied by `migrate`. */
  readonly unbuilt: readonly string[];
  /** Compiled files whose source is gone (tsc never deletes them): `migrate` would still apply them. */
  readonly orphaned: readonly string[];
}

const names = (directory: string, extension: RegExp): Map<string, string> =>
  new Map(
    readdirSync(directory)
      .filter((file) => extension.test(file) && !file.endsWith('.d.ts'))
      .map((file) => [file.replace(extension, ''), path.join(directory, file)]),
  );

/**
 * The migrations of `sources` (.ts) and `compiled` (.js) that do not match. None where the sources are
 * not shipped (an image built from dist only) or are the compiled folder itself.
 */
export function migrationBuildProblems(sources: string, compiled: string): MigrationBuildProblems {
  if (path.resolve(sources) === path.resolve(compiled) || !existsSync(sources))
    return { unbuilt: [], orphaned: [] };
  const written = names(sources, /\.ts$/);
  const built = existsSync(compiled) ? names(compiled, /\.js$/) : new Map<string, string>();
  const unbuilt = [...written]
    .filter(([name, file]) => {
      const output = built.get(name);
      return output === undefined || statSync(output).mtimeMs < statSync(file).mtimeMs;
    })
    .map(([name]) => name);
  const orphaned = [...built.keys()].filter((name) => !written.has(name));
  return { unbuilt: unbuilt.sort(), orphaned: orphaned.sort() };
}

/** Refused before anything is migrated or listed: the compiled migrations are not the sources'. */
export class MigrationBuildError extends Error {
  override name = 'MigrationBuildError';

  constructor(
    readonly problems: MigrationBuildProblems,
    compiled: string,
  ) {
    const parts: string[] = [];
    if (problems.unbuilt.length > 0)
      parts.push(
        `not built since they were written or changed: ${problems.unbuilt.join(', ')} ` +
          '(run `npm run build -w @tandem/models`)',
      );
    if (problems.orphaned.length > 0)
      parts.push(
        `compiled, but their sources are gone: ${problems.orphaned.join(', ')} ` +
          `(delete ${problems.orphaned.map((name) => `${name}.js`).join(', ')} from ${compiled}, or restore the sources)`,
      );
    super(
      `The compiled migrations are not the migrations' sources, so the database was neither read nor changed. Migrations ${parts.join('; ')}.`,
    );
  }
}
