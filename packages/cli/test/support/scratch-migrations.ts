import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { migrate, migrationsIn, openOrm, type Orm } from '@tandem/models';
import { DIALECTS, MIGRATIONS_ROOT, type Dialect, type EntityList } from '@tandem/models/authoring';
import type { TestDatabase } from '@tandem/models/testing';

const modelsCompiledSrc = fileURLToPath(new URL('../../../../models/dist/src', import.meta.url));
const cliDist = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A copy of packages/models/migrations (sources and recorded state) that makemigrations may write to,
 * plus a compiled copy `migrate` can run. It lives under packages/cli/dist so the compiled migrations
 * resolve @mikro-orm/* from the repository's node_modules, and their `../../src/...` helper import
 * through a link to the built @tandem/models.
 */
export class ScratchMigrations {
  readonly root = mkdtempSync(path.join(cliDist, 'scratch-migrations-'));
  readonly sources = path.join(this.root, 'migrations');
  private readonly compiled = path.join(this.root, 'dist', 'migrations');

  constructor() {
    cpSync(MIGRATIONS_ROOT, this.sources, { recursive: true });
    mkdirSync(path.join(this.root, 'dist'));
    symlinkSync(modelsCompiledSrc, path.join(this.root, 'dist', 'src'), 'dir');
  }

  files(dialect: Dialect): string[] {
    return readdirSync(path.join(this.sources, dialect)).sort();
  }

  read(dialect: Dialect, file: string): string {
    return readFileSync(path.join(this.sources, dialect, file), 'utf8');
  }

  /** Edits a migration source in place (a migration written by hand, or one left wrong). */
  rewrite(dialect: Dialect, file: string, edit: (source: string) => string): void {
    const at = path.join(this.sources, dialect, file);
    writeFileSync(at, edit(readFileSync(at, 'utf8')));
  }

  /** Compiles every migration source (as `npm run build` would) for `migrate`. */
  compile(): void {
    for (const dialect of DIALECTS) {
      const into = path.join(this.compiled, dialect);
      mkdirSync(into, { recursive: true });
      for (const file of this.files(dialect).filter((name) => name.endsWith('.ts'))) {
        const output = ts.transpileModule(this.read(dialect, file), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        });
        writeFileSync(path.join(into, file.replace(/\.ts$/, '.js')), output.outputText);
      }
    }
  }

  /** The compiled scratch migrations of `dialect`, compiled now. */
  compiledFor(dialect: Dialect): string {
    this.compile();
    return path.join(this.compiled, dialect);
  }

  /** Opens `database` with the scratch entities and applies the compiled scratch migrations. */
  async migrate(database: TestDatabase, entities: EntityList): Promise<{ orm: Orm; applied: string[] }> {
    this.compile();
    const directory = path.join(this.compiled, database.target.dialect);
    const orm = await openOrm(database.target, {
      entities,
      ...migrationsIn(database.target.dialect, directory),
    });
    try {
      return { orm, applied: await migrate(orm) };
    } catch (error) {
      await orm.close(true);
      throw error;
    }
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
