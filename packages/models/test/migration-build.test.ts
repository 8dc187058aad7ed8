/**
 * `migrate` applies the compiled migrations. One written by `tandem makemigrations` and not built yet
 * was silently not applied ("No migrations to apply"); one whose source was deleted stayed compiled (tsc
 * never removes outputs) and was still applied. Both are now refused, before the database is touched.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, testDialect } from '../src/test-database.js';
import { MigrationBuildError, migrate, openOrm, ormOptions, pendingMigrations } from '../src/index.js';
import { migrationBuildProblems } from '../src/schema/migration-build.js';

/** A migrations folder pair: sources (`.ts`) and their compiled files (`.js`, with maps and types). */
function folders() {
  const root = mkdtempSync(path.join(tmpdir(), 'tandem-migration-build-'));
  const sources = path.join(root, 'migrations');
  const compiled = path.join(root, 'dist');
  for (const directory of [sources, compiled]) mkdirSync(directory);
  return { root, sources, compiled };
}

const source = (directory: string, name: string) => writeFileSync(path.join(directory, `${name}.ts`), '');
function built(directory: string, name: string, ageMs = 0) {
  for (const extension of ['.js', '.js.map', '.d.ts']) {
    const file = path.join(directory, `${name}${extension}`);
    writeFileSync(file, '');
    if (ageMs > 0) utimesSync(file, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
  }
}

test('the compiled migrations are compared with their sources: unbuilt, out of date, orphaned', () => {
  const { root, sources, compiled } = folders();
  try {
    source(sources, 'Migration1_built');
    built(compiled, 'Migration1_built');
    assert.deepEqual(migrationBuildProblems(sources, compiled), { unbuilt: [], orphaned: [] });

    source(sources, 'Migration2_written');
    source(sources, 'Migration3_edited');
    built(compiled, 'Migration3_edited', 60_000);
    built(compiled, 'Migration0_deleted');
    assert.deepEqual(migrationBuildProblems(sources, compiled), {
      unbuilt: ['Migration2_written', 'Migration3_edited'],
      orphaned: ['Migration0_deleted'],
    });
    // Shipped without sources (an image of dist only), or pointed at one folder: nothing to compare.
    assert.deepEqual(migrationBuildProblems(path.join(root, 'absent'), compiled), {
      unbuilt: [],
      orphaned: [],
    });
    assert.deepEqual(migrationBuildProblems(compiled, compiled), { unbuilt: [], orphaned: [] });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test(`migrate and the pending list refuse such a build, and leave the ${testDialect()} database untouched`, async () => {
  const { root, sources, compiled } = folders();
  source(sources, 'Migration2_written');
  built(compiled, 'Migration0_deleted');
  const db = await createTestDatabase();
  const base = ormOptions(db.target);
  const orm = await openOrm(db.target, {
    migrations: { ...base.migrations, path: compiled, pathTs: sources },
  });
  try {
    const refused = (error: unknown) => {
      assert.ok(error instanceof MigrationBuildError);
      assert.match(error.message, /the database was neither read nor changed/);
      assert.match(error.message, /Migration2_written \(run `npm run build -w @tandem\/models`\)/);
      assert.match(
        error.message,
        /their sources are gone: Migration0_deleted \(delete Migration0_deleted\.js from /,
      );
      return true;
    };
    await assert.rejects(migrate(orm), refused);
    await assert.rejects(pendingMigrations(orm), refused);
    const tables = await orm.em
      .getConnection()
      .execute<{ name: string }[]>(
        db.target.dialect === 'sqlite'
          ? `select name from sqlite_master where type = 'table'`
          : `select table_name as name from information_schema.tables where table_schema = 'public'`,
      );
    assert.deepEqual(tables, [], 'no migrations table, no schema');
  } finally {
    await orm.close(true);
    await db.drop();
    rmSync(root, { recursive: true, force: true });
  }
});
