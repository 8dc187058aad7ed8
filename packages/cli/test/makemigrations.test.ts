import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { defineEntity } from '@mikro-orm/core';
import { Category, User, entities, openOrm, migrate, type Orm } from '@tandem/models';
import {
  CURRENT_CHANGE_CAPTURE_VERSION as V,
  MIGRATIONS_ROOT,
  MigrationAuthoringError,
  describeChanges,
  inspectMigrations,
  makeMigrations,
  type Dialect,
  migratedSchemaDrift,
  tablesMissingChangeCapture,
  type EntityList,
} from '@tandem/models/authoring';
import { createTestDatabase, testDialect, type TestDatabase } from '@tandem/models/testing';
import { checkReport, migrationCheck } from '../src/commands/makemigrations.js';
import { hotTableNames } from '../src/migrations/hot-tables.js';
import { tandem } from './helpers.js';
import { ScratchMigrations } from './support/scratch-migrations.js';

const dialect = testDialect();
const p = defineEntity.properties;

/** The scratch model a team would add: a store, first with a name, later with a city. */
function storeEntity(city?: 'text' | 'integer') {
  return defineEntity({
    name: 'Store',
    tableName: 'stores',
    properties: {
      id: p.integer().primary().autoincrement(),
      name: p.string().length(120),
      active: p.boolean().default(true),
      ...(city === 'text' ? { city: p.string().length(80).nullable() } : {}),
      ...(city === 'integer' ? { city: p.integer().nullable() } : {}),
    },
  });
}

const committedHotTables = hotTableNames();

describe('the committed migrations', () => {
  test('makemigrations --check finds no difference between the models and the migrations', async () => {
    const run = await tandem(['makemigrations', '--check'], {
      LOG_LEVEL: 'silent',
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(
      run.stdout,
      'No changes detected: the migrations match the models.\n' +
        (dialect === 'postgresql'
          ? ''
          : "The PostgreSQL migrations' SQL was not built: set DATABASE_URL to a PostgreSQL server to check it too.\n"),
    );
  });

  test('a bad --name or mixed modes are refused (exit 2) before anything is compared or written', async () => {
    const before = readdirSync(`${MIGRATIONS_ROOT}/${dialect}`);
    for (const argv of [
      ['makemigrations', '--name', 'add store; rm -rf /'],
      ['makemigrations', '--name', '../escape'],
      ['makemigrations', '--check', '--name', 'x'],
      ['makemigrations', '--check', '--record-only'],
    ]) {
      const run = await tandem(argv, { LOG_LEVEL: 'silent' });
      assert.equal(run.code, 2, `${argv.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^tandem makemigrations: (--name: use letters|--check and --record-only)/);
      assert.equal(run.stdout, '');
    }
    assert.deepEqual(readdirSync(`${MIGRATIONS_ROOT}/${dialect}`), before);
  });

  test('makemigrations without changes writes nothing', async () => {
    const before = readdirSync(`${MIGRATIONS_ROOT}/${dialect}`);
    const run = await tandem(['makemigrations'], { LOG_LEVEL: 'silent' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'No changes detected.\n');
    assert.deepEqual(readdirSync(`${MIGRATIONS_ROOT}/${dialect}`), before);
  });

  test(`applied to ${dialect}, they build exactly the models' schema and every hot table's triggers`, async () => {
    const database = await createTestDatabase();
    const orm = await openOrm(database.target);
    try {
      await migrate(orm);
      assert.deepEqual(await migratedSchemaDrift(orm), [], 'schema drift between migrations and models');
      assert.deepEqual(await tablesMissingChangeCapture(orm, dialect, committedHotTables), []);
    } finally {
      await orm.close(true);
      await database.drop();
    }
  });

  test('showmigrations lists each migration pending ([ ]) before migrate and applied ([X]) after', async () => {
    const database = await createTestDatabase();
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'silent' };
    try {
      // An empty database, as PostgreSQL's is: showmigrations creates no SQLite file (an empty file is one).
      if (database.target.dialect === 'sqlite') writeFileSync(database.target.path, '', { mode: 0o600 });
      const pending = await tandem(['showmigrations'], env);
      assert.equal(pending.code, 0, pending.stderr);
      const lines = pending.stdout.trim().split('\n').slice(1);
      assert.ok(lines.length >= 6, pending.stdout);
      assert.ok(
        lines.every((line) => /^ \[ \] Migration\d{14}_\w+$/.test(line)),
        pending.stdout,
      );
      assert.ok(lines.some((line) => line.endsWith('Migration20261126000000_initial')));
      assert.equal((await tandem(['migrate'], env)).code, 0);
      const applied = await tandem(['showmigrations'], env);
      assert.deepEqual(
        applied.stdout.trim().split('\n').slice(1),
        lines.map((line) => line.replace('[ ]', '[X]')),
      );
    } finally {
      await database.drop();
    }
  });
});

/** Registers the describe's set-up: a scratch copy of the migrations and an empty test database. */
function withScratch(): { scratch: ScratchMigrations; database: TestDatabase } {
  const held = {} as { scratch: ScratchMigrations; database: TestDatabase };
  before(async () => {
    held.scratch = new ScratchMigrations();
    held.database = await createTestDatabase();
  });
  after(async () => {
    held.scratch.remove();
    await held.database.drop();
  });
  return held;
}

describe('a scratch model (a copy of the migrations)', () => {
  const held = withScratch();
  let scratch: ScratchMigrations;
  let database: TestDatabase;
  before(() => {
    ({ scratch, database } = held);
  });
  const options = (store: EntityList[number], hot: boolean) => ({
    entities: [...entities, store],
    hotTables: hot ? [...committedHotTables, 'stores'] : committedHotTables,
    migrationsRoot: scratch.sources,
  });

  test('a new hot model: makemigrations writes both dialects (table + triggers from the helper), migrate applies them', async () => {
    const store = storeEntity();
    const changes = describeChanges(await inspectMigrations(options(store, true)));
    assert.deepEqual(changes, [
      'sqlite: stores: new table',
      `sqlite: stores: add change-capture triggers (v${V})`,
      'postgresql: stores: new table',
      `postgresql: stores: add change-capture triggers (v${V})`,
    ]);
    const written = await makeMigrations({ ...options(store, true), name: 'stores' });
    assert.equal(written.files.length, 2);
    for (const each of ['sqlite', 'postgresql'] as const) {
      const source = scratch.read(each, `${written.className}.ts`);
      assert.match(source, /create table \W*stores\W* \(/);
      assert.match(source, new RegExp(`changeCaptureSql\\(${V}, '${each}', 'stores'\\)`));
      assert.doesNotMatch(source, /create trigger|tandem_capture_changes/, 'no copy of the trigger code');
    }
    assert.deepEqual(await inspectMigrations(options(store, true)).then(describeChanges), []);

    const { orm, applied } = await scratch.migrate(database, options(store, true).entities);
    try {
      assert.equal(applied.at(-1), written.className);
      await orm.em.getConnection().execute(`insert into stores (name, active) values ('Lyon', true)`);
      const events = await orm.em
        .getConnection()
        .execute<{ op: string }[]>(`select op from change_event where table_name = 'stores'`);
      assert.deepEqual(
        events.map((event) => event.op),
        ['insert'],
        'the trigger captured the insert',
      );
      assert.deepEqual(await migratedSchemaDrift(orm), []);
    } finally {
      await orm.close(true);
    }
  });

  test('adding a property: --check names the table and column; makemigrations writes it; migrate applies it', async () => {
    const store = storeEntity('text');
    const report = checkReport(await inspectMigrations(options(store, true)));
    assert.equal(report.code, 1, '--check fails');
    assert.equal(
      report.text,
      'The models and the migrations disagree:\n' +
        '  sqlite: stores: add column city\n' +
        '  postgresql: stores: add column city\n' +
        'Run `tandem makemigrations` to write the migrations (or, if these are the changes of a migration\n' +
        'you kept after restoring the state files from git, `tandem makemigrations --record-only`).\n',
    );
    const written = await makeMigrations({ ...options(store, true), name: 'store_city' });
    assert.match(
      scratch.read('sqlite', `${written.className}.ts`),
      /alter table \W*stores\W* add column \W*city/,
    );
    assert.match(
      scratch.read('postgresql', `${written.className}.ts`),
      /alter table "stores" add column "city"/,
    );
    const { orm, applied } = await scratch.migrate(database, options(store, true).entities);
    try {
      assert.deepEqual(applied, [written.className]);
      await orm.em.getConnection().execute(`insert into stores (name, city) values ('Nantes', 'Nantes')`);
      assert.deepEqual(await migratedSchemaDrift(orm), []);
      // The drift check itself sees a model the migrations did not build.
      const ahead = await openOrm(database.target, {
        entities: options(storeEntity('integer'), true).entities,
      });
      try {
        const drift = await migratedSchemaDrift(ahead);
        assert.equal(drift.length, 1, drift.join('\n'));
        assert.match(drift[0]!, /^stores: alter column city \(type \S+ -> \S+\)$/);
      } finally {
        await ahead.close(true);
      }
    } finally {
      await orm.close(true);
    }
  });

  test('a type change SQLite cannot ALTER is refused with what to do, and neither dialect gets a file', async () => {
    const before = { sqlite: scratch.files('sqlite'), postgresql: scratch.files('postgresql') };
    const snapshot = scratch.read('sqlite', '.snapshot-sqlite.json');
    await assert.rejects(
      makeMigrations({ ...options(storeEntity('integer'), true), name: 'city_number' }),
      (error: unknown) => {
        assert.ok(error instanceof MigrationAuthoringError);
        assert.match(error.message, /^sqlite: stores: alter column city \(type text -> integer/);
        assert.match(error.message, /SQLite cannot ALTER/);
        assert.match(error.message, /tandem makemigrations --empty/);
        return true;
      },
    );
    assert.deepEqual({ sqlite: scratch.files('sqlite'), postgresql: scratch.files('postgresql') }, before);
    assert.equal(scratch.read('sqlite', '.snapshot-sqlite.json'), snapshot);
    assert.deepEqual(
      readdirSync(scratch.sources).filter((name) => name.startsWith('.staging')),
      [],
      'no staging left',
    );
  });

  test('a rename that also changes the column, or a NOT NULL column without a default: refused, nothing written', async () => {
    const before = { sqlite: scratch.files('sqlite'), postgresql: scratch.files('postgresql') };
    const variant = (extra: Record<string, unknown>, without?: string) =>
      defineEntity({
        name: 'Store',
        tableName: 'stores',
        properties: {
          id: p.integer().primary().autoincrement(),
          name: p.string().length(120),
          active: p.boolean().default(true),
          ...(without === 'city' ? {} : { city: p.string().length(80).nullable() }),
          ...extra,
        },
      });
    // city → town, and longer: PostgreSQL's diff is a drop and an add, which would lose every city.
    await assert.rejects(
      makeMigrations({ ...options(variant({ town: p.string().length(90).nullable() }, 'city'), true) }),
      (error: unknown) => {
        assert.ok(error instanceof MigrationAuthoringError);
        assert.match(error.message, /postgresql: stores: drop column city and add column town in one step/);
        assert.match(error.message, /rename the property alone first/);
        return true;
      },
    );
    await assert.rejects(
      makeMigrations({ ...options(variant({ floors: p.integer() }), true) }),
      (error: unknown) => {
        assert.ok(error instanceof MigrationAuthoringError);
        for (const each of ['sqlite', 'postgresql'])
          assert.match(
            error.message,
            new RegExp(`${each}: stores: add column floors NOT NULL without a default`),
          );
        return true;
      },
    );
    assert.deepEqual({ sqlite: scratch.files('sqlite'), postgresql: scratch.files('postgresql') }, before);
    // With a default it is fine.
    const report = describeChanges(
      await inspectMigrations(options(variant({ floors: p.integer().default(1) }), true)),
    );
    assert.deepEqual(report, ['sqlite: stores: add column floors', 'postgresql: stores: add column floors']);
  });

  test('a shorter string column: PostgreSQL refuses a value that no longer fits instead of cutting it off', async () => {
    const shorter = defineEntity({
      name: 'Store',
      tableName: 'stores',
      properties: {
        id: p.integer().primary().autoincrement(),
        name: p.string().length(120),
        active: p.boolean().default(true),
        city: p.string().length(40).nullable(),
      },
    });
    const long = 'Saint-Remy-en-Bouzemont-Saint-Genest-et-Isson';
    const setup = await scratch.migrate(database, options(storeEntity('text'), true).entities);
    await setup.orm.em.getConnection().execute(`insert into stores (name, city) values ('Long', '${long}')`);
    await setup.orm.close(true);
    const written = await makeMigrations({ ...options(shorter, true), name: 'city_shorter' });
    const postgres = scratch.read('postgresql', `${written.className}.ts`);
    assert.match(postgres, /alter column "city" type varchar\(40\)/);
    assert.doesNotMatch(
      postgres,
      / using /,
      'no explicit cast: an assignment cast refuses what does not fit',
    );
    const city = async (orm: Awaited<ReturnType<typeof scratch.migrate>>['orm']) =>
      (
        await orm.em
          .getConnection()
          .execute<{ city: string }[]>(`select city from stores where name = 'Long'`)
      )[0]!.city;
    if (dialect === 'postgresql') {
      await assert.rejects(scratch.migrate(database, options(shorter, true).entities), /value too long/);
      const { orm } = await scratch
        .migrate(database, options(storeEntity('text'), true).entities)
        .catch(async () => ({
          orm: await openOrm(database.target, { entities: options(shorter, true).entities }),
        }));
      try {
        assert.equal(await city(orm), long, 'the row is as it was');
        await orm.em.getConnection().execute(`update stores set city = 'Lyon' where name = 'Long'`);
      } finally {
        await orm.close(true);
      }
    }
    const { orm, applied } = await scratch.migrate(database, options(shorter, true).entities);
    try {
      assert.ok(applied.includes(written.className!));
      // SQLite stores text of any length: the value stays whole there (the model refuses new ones).
      assert.equal(await city(orm), dialect === 'postgresql' ? 'Lyon' : long);
    } finally {
      await orm.close(true);
    }
    // Back to 80 for the tests that follow.
    await makeMigrations({ ...options(storeEntity('text'), true), name: 'city_longer_again' });
    (await scratch.migrate(database, options(storeEntity('text'), true).entities)).orm.close(true);
  });

  test('a model that stops being hot: makemigrations drops its triggers', async () => {
    const store = storeEntity('text');
    assert.deepEqual(describeChanges(await inspectMigrations(options(store, false))), [
      `sqlite: stores: drop change-capture triggers (v${V})`,
      `postgresql: stores: drop change-capture triggers (v${V})`,
    ]);
    const written = await makeMigrations({ ...options(store, false), name: 'stores_not_hot' });
    assert.match(
      scratch.read('sqlite', `${written.className}.ts`),
      new RegExp(`dropChangeCaptureSql\\(${V}, 'sqlite', 'stores'\\)`),
    );
    const { orm } = await scratch.migrate(database, options(store, false).entities);
    try {
      assert.deepEqual(await tablesMissingChangeCapture(orm, dialect, ['stores']), ['stores']);
      await orm.em.getConnection().execute(`delete from change_event`);
      await orm.em.getConnection().execute(`insert into stores (name) values ('Brest')`);
      const events = await orm.em.getConnection().execute<unknown[]>(`select id from change_event`);
      assert.deepEqual(events, [], 'no capture any more');
    } finally {
      await orm.close(true);
    }
  });

  test('--empty for what SQLite cannot ALTER: both files list the change to write by hand, and the state is recorded', async () => {
    const store = storeEntity('integer');
    const written = await makeMigrations({ ...options(store, false), name: 'city_number', empty: true });
    assert.equal(written.files.length, 2);
    for (const each of ['sqlite', 'postgresql'] as const) {
      const source = scratch.read(each, `${written.className}.ts`);
      assert.match(source, /to write by hand: stores: alter column city \(type \S+ -> \S+/);
      assert.doesNotMatch(source, /alter table/, 'the SQL is left to the author');
    }
    assert.deepEqual(describeChanges(await inspectMigrations(options(store, false))), []);
    // Left as written, the state says city is a number while the SQL still builds text: --check fails.
    const check = await migrationCheck(options(store, false), {
      compiled: (each) => scratch.compiledFor(each),
    });
    assert.equal(check.code, 1, check.text);
    assert.match(check.text, /their SQL does not build it \(SQLite\):\n {2}stores: .*city/);
  });
});

describe('makemigrations --check on PostgreSQL', () => {
  const held = withScratch();
  const options = (store: EntityList[number]) => ({
    entities: [...entities, store],
    hotTables: committedHotTables,
    migrationsRoot: held.scratch.sources,
  });

  test(
    'a PostgreSQL migration that does not build the models fails --check on a PostgreSQL server',
    { skip: dialect !== 'postgresql' && 'DATABASE_URL is not a PostgreSQL server' },
    async () => {
      const store = storeEntity('text');
      const written = await makeMigrations({ ...options(store), name: 'stores' });
      assert.equal(written.files.length, 2);
      // The SQLite file is right; the PostgreSQL one lost its SQL (written by hand and forgotten).
      held.scratch.rewrite('postgresql', `${written.className}.ts`, (source) =>
        source.replace(/(async up\(\): Promise<void> \{)[\s\S]*?(\n {2}\})/, '$1$2'),
      );
      const targets = { compiled: (each: Dialect) => held.scratch.compiledFor(each) };
      const sqliteOnly = await migrationCheck(options(store), targets);
      assert.equal(sqliteOnly.code, 0, 'SQLite alone cannot see it');
      const check = await migrationCheck(options(store), {
        ...targets,
        postgresUrl: process.env.DATABASE_URL!,
      });
      assert.equal(check.code, 1, check.text);
      assert.match(check.text, /their SQL does not build it \(PostgreSQL\):\n {2}stores: /);
      assert.doesNotMatch(check.text, /\(SQLite\)/);
    },
  );
});

describe('a reference in a scratch model', () => {
  const held = withScratch();

  /** A visit of a store's manager (indexed, as Django indexes a ForeignKey) in a category (declared unindexed). */
  const visitEntity = () =>
    defineEntity({
      name: 'Visit',
      tableName: 'visits',
      properties: {
        id: p.integer().primary().autoincrement(),
        manager: () => p.manyToOne(User).deleteRule('cascade'),
        category: () => p.manyToOne(Category).deleteRule('cascade').index(false),
      },
    });

  test('is indexed on both databases unless declared .index(false)', async () => {
    const { scratch, database } = held;
    const options = {
      entities: [...entities, visitEntity()],
      hotTables: committedHotTables,
      migrationsRoot: scratch.sources,
    };
    const written = await makeMigrations({ ...options, name: 'visits' });
    for (const each of ['sqlite', 'postgresql'] as const) {
      const source = scratch.read(each, `${written.className}.ts`);
      assert.match(
        source,
        /create index \W*visits_manager_id_index\W* on \W*visits\W* \(\W*manager_id\W*\)/,
        each,
      );
      assert.doesNotMatch(source, /category_id_index/, `${each}: declared without an index`);
    }
    const { orm } = await scratch.migrate(database, options.entities);
    try {
      const indexed = await indexedColumns(orm, 'visits');
      assert.deepEqual(
        indexed,
        ['manager_id'],
        'the migrated table has the reference index, and only that one',
      );
      assert.deepEqual(await migratedSchemaDrift(orm), []);
    } finally {
      await orm.close(true);
    }
  });
});

/** The first column of each non-unique index of `table`, read from the database's own catalog. */
async function indexedColumns(orm: Orm, table: string): Promise<string[]> {
  const connection = orm.em.getConnection();
  const rows =
    dialect === 'postgresql'
      ? await connection.execute<{ column: string }[]>(
          `select a.attname as "column" from pg_index i
             join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
           where i.indrelid = cast(? as regclass) and not i.indisunique`,
          [table],
        )
      : await connection.execute<{ column: string }[]>(
          `select info.name as "column" from pragma_index_list(?) list, pragma_index_info(list.name) info
           where list."unique" = 0 and info.seqno = 0`,
          [table],
        );
  return rows.map((row) => row.column).sort();
}
