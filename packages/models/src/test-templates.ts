/**
 * Migrated template databases for the test suites. Applying every migration to each test file's fresh
 * database cost ~2-3 s of wall time per database on PostgreSQL (hundreds of DDL statements and
 * triggers, most of it server time) and the CI pass makes over a hundred; copying a migrated template
 * costs what an empty `create database` does. So the first file to need one migrates a template, once
 * per migration state (named by a hash of the compiled migrations), and every file copies it:
 * PostgreSQL's `create database ... template`, or a copy of the SQLite file.
 *
 * The migrations themselves are still applied to empty databases by the tests that test them
 * (packages/models/test/migrations.test.ts and the *-migration tests use createTestDatabase).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { parseDatabaseUrl, type DatabaseTarget } from '@tandem/config';
import { compiledMigrationsPath, migrate, openOrm } from './orm.js';

/** A hash of a folder of compiled migrations (names and contents): a new or edited one names a new template. */
export function migrationsHash(dir: string): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.js'))
    .sort()) {
    hash
      .update(`${file}\0`)
      .update(readFileSync(path.join(dir, file)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function applyMigrations(target: DatabaseTarget): Promise<void> {
  const orm = await openOrm(target);
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
}

/** The path of the migrated SQLite template file for the current migrations, built if missing. */
export async function sqliteTemplate(dir = path.join(tmpdir(), 'tandem-test-templates')): Promise<string> {
  const file = path.join(dir, `sqlite-${migrationsHash(compiledMigrationsPath('sqlite'))}.sqlite3`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const buildDir = mkdtempSync(path.join(dir, 'building-'));
  try {
    const building = path.join(buildDir, 'template.sqlite3');
    await applyMigrations(parseDatabaseUrl(`sqlite:${building}`));
    // Closing the last connection checkpoints the WAL into the file and deletes it: the file alone is
    // the whole database. A WAL left behind would mean a copy without the last migrations.
    if (existsSync(`${building}-wal`)) throw new Error(`SQLite left a WAL beside ${building}`);
    // rename is atomic: a file that exists under the final name is complete. Two files building at
    // once (parallel suites) both produce the same schema; the last rename wins.
    renameSync(building, file);
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
  return file;
}

const BUSY = '55006'; // object_in_use: a connection to the database has not ended yet
const DUPLICATE_DATABASE = '42P04';

async function databaseExists(client: pg.Client, name: string): Promise<boolean> {
  const result = await client.query('select 1 from pg_database where datname = $1', [name]);
  return result.rowCount === 1;
}

/** Runs a statement about a database a closed connection may still hold for a moment. */
async function whenReleased(client: pg.Client, sql: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await client.query(sql);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== BUSY || attempt >= 100) throw error;
      await sleep(50);
    }
  }
}

/**
 * The name of the migrated PostgreSQL template for the current migrations on the server of
 * `serverUrl`, built if missing. It is built under another name and renamed when complete, so a
 * database with the template's name is always whole; it refuses connections (allow_connections
 * false), so nothing can hold it open and make `create database ... template` fail. Builders on one
 * server database wait for each other (an advisory lock), so a suite's parallel files build it once.
 */
export async function postgresTemplate(
  serverUrl: string,
  name = `tandem_template_${migrationsHash(compiledMigrationsPath('postgresql'))}`,
): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    if (await databaseExists(admin, name)) return name;
    await admin.query('select pg_advisory_lock(hashtext($1))', [name]);
    try {
      if (await databaseExists(admin, name)) return name;
      const building = `${name}_${Date.now().toString(36)}_${process.pid}`;
      await admin.query(`create database "${building}"`);
      try {
        const url = new URL(serverUrl);
        url.pathname = `/${building}`;
        await applyMigrations(parseDatabaseUrl(url.toString()));
        await whenReleased(admin, `alter database "${building}" with allow_connections false`);
        await whenReleased(admin, `alter database "${building}" rename to "${name}"`);
      } catch (error) {
        await admin.query(`drop database if exists "${building}" with (force)`);
        // Another server database's suite (its own advisory lock) finished the same template first.
        if ((error as { code?: string }).code === DUPLICATE_DATABASE) return name;
        throw error;
      }
      return name;
    } finally {
      await admin.query('select pg_advisory_unlock(hashtext($1))', [name]);
    }
  } finally {
    await admin.end();
  }
}
