/**
 * A hot declaration's `schema` is published in the OpenAPI document and describes the served field,
 * served as stored: so it holds for every stored value. Before, the README's own model declared
 * `opensAt: { pattern: "^[0-2][0-9]:[0-5][0-9]$" }` while the admin stored "9am" and fast served it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineEntity } from '@mikro-orm/core';
import { createTestDatabase, testDialect, type TestDatabase } from '../src/test-database.js';
import { DeclaredSchemas } from '../src/declared-schemas.js';
import { StorableValues } from '../src/storable-values.js';
import { ModelValidationError, Write, defineModel, openOrm, migrate, type Orm } from '../src/index.js';

const p = defineEntity.properties;
// The README's Store, with a list and a bounded number besides.
const Store = defineEntity({
  name: 'Store',
  tableName: 'stores',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(120),
    opensAt: p.string().length(5),
    seats: p.integer().default(0),
    tags: p.json<unknown>().nullable(),
  },
});
const storeModel = defineModel(Store, {
  hot: {
    collection: 'stores',
    fields: { id: 'id', name: 'name', opensAt: 'opensAt', seats: 'seats', tags: 'tags' },
    scope: 'catalog:read',
    schema: {
      opensAt: { pattern: '^[0-2][0-9]:[0-5][0-9]$', description: 'Local opening time, HH:MM.' },
      seats: { minimum: 0, maximum: 500 },
      tags: { type: 'array', items: { type: 'string' } },
    },
  },
});

const refusal = (errors: Record<string, RegExp>) => (error: unknown) => {
  assert.ok(error instanceof ModelValidationError, String(error));
  assert.deepEqual(Object.keys(error.errors).sort(), Object.keys(errors).sort());
  for (const [field, pattern] of Object.entries(errors)) assert.match(error.errors[field]!, pattern, field);
  return true;
};

describe(`a model's declared schema holds for what is stored (${testDialect()})`, () => {
  let db: TestDatabase;
  let orm: Orm;

  before(async () => {
    db = await createTestDatabase();
    orm = await openOrm(db.target, {
      entities: [Store],
      subscribers: [new StorableValues(), new DeclaredSchemas([storeModel])],
    });
    await orm.schema.createSchema();
  });
  after(async () => {
    await orm.close(true);
    await db.drop();
  });

  const stores = async () =>
    (await orm.em.fork().find(Store, {}, { orderBy: { id: 'asc' } })).map((s) => s.name);

  test('a create breaking it is refused before any SQL, per field, with what it breaks', async () => {
    const em = orm.em.fork();
    em.create(Store, { name: 'Lyon', opensAt: '9am', seats: 501, tags: ['cafe', 2] });
    await assert.rejects(
      em.flush(),
      refusal({
        opensAt: /^Must match pattern "\^\[0-2\]\[0-9\]:\[0-5\]\[0-9\]\$"\.$/,
        seats: /^Must be <= 500\.$/,
        tags: /^1 must be string\.$/,
      }),
    );
    assert.deepEqual(await stores(), []);
    const ok = orm.em.fork();
    ok.create(Store, { name: 'Paris', opensAt: '09:30', seats: 40, tags: ['cafe'] });
    await ok.flush();
    assert.deepEqual(await stores(), ['Paris']);
  });

  test('an update is checked on what it changes: a stored value that breaks it does not block other edits', async () => {
    // Stored before the declaration (or around it, by raw SQL).
    await orm.em.fork().insert(Store, { name: 'Legacy', opensAt: 'noon', seats: 0 });
    const em = orm.em.fork();
    const legacy = await em.findOneOrFail(Store, { name: 'Legacy' });
    legacy.seats = 12;
    await em.flush();
    // A JSON column's change is checked as the value it holds (the change set has it as JSON text).
    legacy.tags = ['terrace'];
    await em.flush();
    legacy.tags = ['terrace', 3];
    await assert.rejects(em.flush(), refusal({ tags: /^1 must be string\.$/ }));
    legacy.tags = ['terrace'];
    legacy.opensAt = '25h';
    await assert.rejects(em.flush(), refusal({ opensAt: /Must match pattern/ }));
    const stored = await orm.em.fork().findOneOrFail(Store, { name: 'Legacy' });
    assert.deepEqual([stored.seats, stored.opensAt, stored.tags], [12, 'noon', ['terrace']]);
  });
});

test(`every ORM checks the registry's declarations: a write outcome's errors must be an object (${testDialect()})`, async () => {
  const db = await createTestDatabase();
  const orm = await openOrm(db.target);
  try {
    await migrate(orm);
    const em = orm.em.fork();
    em.create(Write, {
      collection: 'products',
      op: 'create',
      subject: 'client:1',
      bodyHash: 'x',
      body: {},
      partition: 0,
      status: 'rejected',
      httpStatus: 422,
      errors: 5 as never,
      acceptedAt: new Date(),
      appliedAt: new Date(),
    });
    await assert.rejects(em.flush(), refusal({ errors: /^Must be object,null\.$/ }));
  } finally {
    await orm.close(true);
    await db.drop();
  }
});
