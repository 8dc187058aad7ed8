/**
 * A team's own model (as the README tutorial adds one), on the test database: its integer columns took
 * 1.5, "1.5", "abc" and true (SQLite stored them as typed; PostgreSQL rounded 1.5 to 2 and failed the
 * strings with 22P02, a 500 in the admin), its `real` column took 1e39 (PostgreSQL: 22003), and a NUL
 * inside a JSON value passed (PostgreSQL: 22P05 for jsonb; for a product's `json` tags, the audit
 * entry's jsonb diff failed the whole change). Each is now a field error before any SQL, alike on both
 * databases: a ModelValidationError, not a driver error, and nothing written.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineEntity } from '@mikro-orm/core';
import {
  createMigratedDatabase,
  createTestDatabase,
  testDialect,
  type MigratedTestDatabase,
  type TestDatabase,
} from '../src/test-database.js';
import { Category, ModelValidationError, openOrm, Product, type Orm } from '../src/index.js';

const dialect = testDialect();
const p = defineEntity.properties;

const Reading = defineEntity({
  name: 'Reading',
  tableName: 'readings',
  properties: {
    id: p.integer().primary().autoincrement(),
    count: p.integer().nullable(),
    small: p.smallint().nullable(),
    big: p.bigint().nullable(),
    level: p.float().nullable(),
    precise: p.double().nullable(),
    extra: p.json<unknown>().nullable(),
  },
});

/** An assert.rejects validator: a ModelValidationError (thrown before any SQL) with exactly this field error. */
const refusedWith =
  (field: string, message: string) =>
  (error: unknown): true => {
    assert.ok(error instanceof ModelValidationError, `not refused before the database: ${String(error)}`);
    assert.deepEqual(error.errors, { [field]: message });
    return true;
  };

const WHOLE = 'Must be a whole number.';
const REAL_RANGE = 'Must be between -3.4028235e+38 and 3.4028235e+38.';
const NUL = 'Must not contain the NUL character.';

describe(`a team's own model: numbers and JSON its columns cannot hold are field errors (${dialect})`, () => {
  let database: TestDatabase;
  let orm: Orm;

  before(async () => {
    database = await createTestDatabase();
    orm = await openOrm(database.target, { entities: [Reading] });
    await orm.schema.createSchema();
  });
  after(async () => {
    await orm?.close(true);
    await database?.drop();
  });

  const create = async (fields: Record<string, unknown>) => {
    const em = orm.em.fork();
    const reading = em.create(Reading, fields as never);
    await em.flush();
    return reading.id;
  };
  const count = () => orm.em.fork().count(Reading);

  const refused: [field: string, value: unknown, message: string][] = [
    ['count', 1.5, WHOLE],
    ['count', '1.5', WHOLE],
    ['count', 'abc', WHOLE],
    ['count', '', WHOLE],
    ['count', ' 7', WHOLE],
    ['count', '1e3', WHOLE],
    ['count', true, WHOLE],
    ['count', 2 ** 31, 'Must be at most 2147483647.'],
    ['count', '2147483648', 'Must be at most 2147483647.'],
    ['small', '40000', 'Must be at most 32767.'],
    ['small', -40000, 'Must be at least -32768.'],
    ['big', 0.5, WHOLE],
    ['big', 2 ** 53, 'Must be at most 9007199254740991.'],
    ['level', 1e39, REAL_RANGE],
    ['level', -3.5e38, REAL_RANGE],
    ['level', '1e39', REAL_RANGE],
    ['level', 1e-50, 'Must be 0, or at least 1.4e-45 away from 0.'],
    ['extra', ['a\u0000b'], NUL],
    ['extra', { note: 'a\u0000b' }, NUL],
    ['extra', { 'key\u0000': 1 }, NUL],
    ['extra', { deep: [[{ list: ['fine', 'not\u0000fine'] }]] }, NUL],
  ];
  for (const [field, value, message] of refused) {
    test(`${field}: ${JSON.stringify(value)} is refused before the database, and nothing is written`, async () => {
      const before = await count();
      await assert.rejects(create({ [field]: value }), refusedWith(field, message));
      assert.equal(await count(), before);
    });
  }

  test('what the columns hold is stored as given, on both databases', async () => {
    const id = await create({
      count: '-2147483648',
      small: 32767,
      big: '9007199254740991',
      level: -3.4e38,
      precise: 1e300,
      extra: { deep: [[{ list: ['fine', 'also fine'] }]], '\u00e9': 'ok' },
    });
    const stored = await orm.em.fork().findOneOrFail(Reading, id);
    assert.equal(stored.count, -2147483648);
    assert.equal(stored.small, 32767);
    assert.equal(String(stored.big), '9007199254740991');
    assert.ok(Math.abs(stored.level! / -3.4e38 - 1) < 1e-7, String(stored.level));
    assert.equal(stored.precise, 1e300, 'a double column keeps every finite number');
    assert.deepEqual(stored.extra, { deep: [[{ list: ['fine', 'also fine'] }]], '\u00e9': 'ok' });
    assert.equal(
      (await create({ level: 1e-45, count: 7 })) > id,
      true,
      'the smallest real above 0 is stored',
    );
  });

  test('an update is checked too, and leaves the row as it was', async () => {
    const id = await create({ count: 3, level: 1.5, extra: ['a'] });
    const em = orm.em.fork();
    const reading = await em.findOneOrFail(Reading, id);
    reading.count = 3.5;
    await assert.rejects(em.flush(), refusedWith('count', WHOLE));
    const other = orm.em.fork();
    const again = await other.findOneOrFail(Reading, id);
    again.extra = ['a', 'b\u0000'];
    await assert.rejects(other.flush(), refusedWith('extra', NUL));
    const stored = await orm.em.fork().findOneOrFail(Reading, id);
    assert.equal(stored.count, 3);
    assert.deepEqual(stored.extra, ['a']);
  });
});

describe(`a NUL in a product's tag is a field error, not a failed change (${dialect})`, () => {
  let db: MigratedTestDatabase;
  before(async () => {
    db = await createMigratedDatabase();
  });
  after(() => db.close());

  test('the product is refused before the database, and no product is written', async () => {
    const em = db.orm.em.fork();
    const category = em.create(Category, { name: 'Tools', slug: 'tools' });
    await em.flush();
    const before = await db.orm.em.fork().count(Product);
    const product = {
      sku: 'NUL-TAG',
      name: 'Hammer',
      priceCents: 100,
      currency: 'EUR',
      category: category.id,
      tags: ['garden', 'a\u0000b'],
    };
    await assert.rejects(
      async () => {
        const fork = db.orm.em.fork();
        fork.create(Product, product);
        await fork.flush();
      },
      refusedWith('tags', NUL),
    );
    assert.equal(await db.orm.em.fork().count(Product), before);
  });
});
