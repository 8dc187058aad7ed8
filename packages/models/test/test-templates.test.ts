import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createMigratedDatabase, createTestDatabase, testDialect } from '../src/test-database.js';
import { migrationsHash, postgresTemplate, sqliteTemplate } from '../src/test-templates.js';
import { compiledMigrationsPath, migrate, openOrm, type Orm } from '../src/orm.js';

/** Everything the migrations create, as the database's own catalog lists it, in a stable order. */
async function schemaOf(orm: Orm): Promise<unknown> {
  const connection = orm.em.getConnection();
  if (testDialect() === 'sqlite') {
    return connection.execute(`select type, name, tbl_name, sql from sqlite_master order by type, name`);
  }
  return {
    columns: await connection.execute(
      `select table_name, column_name, data_type, column_default, is_nullable from information_schema.columns
       where table_schema = 'public' order by table_name, column_name`,
    ),
    indexes: await connection.execute(
      `select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname`,
    ),
    constraints: await connection.execute(
      `select conrelid::regclass::text as tbl, conname, pg_get_constraintdef(oid) as def from pg_constraint
       where connamespace = 'public'::regnamespace order by tbl, conname`,
    ),
    triggers: await connection.execute(
      `select tgrelid::regclass::text as tbl, tgname, pg_get_triggerdef(oid) as def from pg_trigger
       where not tgisinternal order by tbl, tgname`,
    ),
    functions: await connection.execute(
      `select proname, pg_get_functiondef(oid) as def from pg_proc
       where pronamespace = 'public'::regnamespace order by proname`,
    ),
  };
}

const rowsOf = (orm: Orm, table: string) =>
  orm.em.getConnection().execute(`select * from ${table} order by 1`) as Promise<Record<string, unknown>[]>;

test(`a migrated test database (a copy of the template) is what migrating an empty ${testDialect()} database gives`, async () => {
  const copied = await createMigratedDatabase();
  const empty = await createTestDatabase();
  const migrated = await openOrm(empty.target);
  try {
    await migrate(migrated);
    assert.deepEqual(await schemaOf(copied.orm), await schemaOf(migrated));
    const names = async (orm: Orm) => (await rowsOf(orm, 'mikro_orm_migrations')).map((row) => row.name);
    assert.deepEqual(await names(copied.orm), await names(migrated), 'the same migrations recorded');
    assert.deepEqual(await migrate(copied.orm), [], 'nothing pending in the copy');
    for (const table of ['users', 'roles', 'change_event', 'sessions']) {
      assert.deepEqual(await rowsOf(copied.orm, table), [], `${table} starts empty`);
    }
  } finally {
    await migrated.close(true);
    await empty.drop();
    await copied.close();
  }
});

test('copies are independent: a row written in one is not in the next', async () => {
  const first = await createMigratedDatabase();
  try {
    await first.orm.em.getConnection().execute(`insert into roles (name) values ('only-in-the-first')`);
    const second = await createMigratedDatabase();
    try {
      assert.deepEqual(await rowsOf(second.orm, 'roles'), []);
    } finally {
      await second.close();
    }
  } finally {
    await first.close();
  }
});

test('the template is named by the compiled migrations: an edited or added migration names a new one', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-migrations-hash-'));
  try {
    cpSync(compiledMigrationsPath('sqlite'), dir, { recursive: true });
    const original = migrationsHash(dir);
    assert.equal(migrationsHash(dir), original, 'stable');
    writeFileSync(path.join(dir, 'notes.d.ts'), 'export {};');
    assert.equal(migrationsHash(dir), original, 'declarations and maps do not count');
    const first = readdirSync(dir).find((name) => name.endsWith('.js'))!;
    appendFileSync(path.join(dir, first), '\n// edited\n');
    const edited = migrationsHash(dir);
    assert.notEqual(edited, original);
    writeFileSync(path.join(dir, 'Migration29990101000000_next.js'), 'export {};');
    assert.notEqual(migrationsHash(dir), edited);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: files building the template at once leave one whole template and no half-built file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-templates-'));
  try {
    const built = await Promise.all([sqliteTemplate(dir), sqliteTemplate(dir), sqliteTemplate(dir)]);
    assert.equal(new Set(built).size, 1);
    assert.deepEqual(readdirSync(dir), [path.basename(built[0]!)]);
    assert.ok(!existsSync(`${built[0]}-wal`), 'no WAL: the file alone is the database');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'PostgreSQL: suites building the template at once build it once, whole, and it refuses connections',
  {
    skip: testDialect() === 'postgresql' ? false : 'needs DATABASE_URL=postgres://... (the PostgreSQL pass)',
  },
  async () => {
    const server = process.env.DATABASE_URL!;
    const name = `tandem_template_test_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    try {
      const built = await Promise.all([1, 2, 3].map(() => postgresTemplate(server, name)));
      assert.deepEqual(built, [name, name, name]);
      const databases = await admin.query<{ datname: string; datallowconn: boolean }>(
        'select datname, datallowconn from pg_database where datname like $1',
        [`${name}%`],
      );
      assert.deepEqual(databases.rows, [{ datname: name, datallowconn: false }]);
      const url = new URL(server);
      url.pathname = `/${name}`;
      const direct = new pg.Client({ connectionString: url.toString() });
      await assert.rejects(direct.connect(), /not currently accepting connections/);
    } finally {
      await admin.query(`drop database if exists "${name}"`);
      await admin.end();
    }
  },
);
