/**
 * Values of the column kinds a team's own model may use (decimal, double, date, time, enum) that the column
 * cannot hold are field errors before any SQL. A walkthrough that added such fields got a 500 from the
 * admin for `abc` in a double (NaN reached the SQL as a column name) and, on SQLite, "abc" stored in a
 * decimal and "notadate" in a date, which fast then served. The schemas fast serves these kinds with and
 * checks write bodies against say the same (null for a nullable enum, a decimal's or a time's pattern).
 * Pure logic over real MikroORM metadata.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineEntity, MikroORM, type EntityMetadata } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { unstorableFields } from '../src/storable-values.js';
import { propertySchema } from '../src/openapi/field-schema.js';
import { writeBodySchemas } from '../src/openapi/write-schemas.js';
import type { HotProjection } from '../src/hot/projections.js';
import type { JsonSchema } from '../src/json-schema.js';

const p = defineEntity.properties;
const Store = defineEntity({
  name: 'Store',
  tableName: 'stores',
  properties: {
    id: p.integer().primary().autoincrement(),
    rating: p.decimal().precision(4).scale(2).nullable(),
    latitude: p.double().nullable(),
    openedOn: p.date().nullable(),
    openedAt: p.datetime().nullable(),
    kind: p.enum(['shop', 'kiosk']).nullable(),
    opensAt: p.time().nullable(),
  },
});

const stores: HotProjection = {
  collection: 'stores',
  entity: 'Store',
  table: 'stores',
  fields: { id: 'id', rating: 'rating', kind: 'kind', opensAt: 'opensAt' },
  scope: 'stores:read',
  writes: {
    scope: 'stores:write',
    create: { fields: ['rating', 'kind', 'opensAt'] },
    update: { fields: ['rating', 'kind', 'opensAt'] },
  },
};
// As the fast service validates write bodies: union types allowed, nothing coerced.
const ajv = new Ajv2020({ allErrors: true, strictTypes: false, coerceTypes: false });
const valid = (schema: JsonSchema | undefined, value: unknown): boolean => {
  assert.ok(schema, 'a schema');
  return ajv.validate(schema, value);
};

describe('unstorableFields: decimal, double, date, time and enum columns', () => {
  let orm: MikroORM;
  let meta: EntityMetadata;
  before(async () => {
    orm = await MikroORM.init({ driver: BetterSqliteDriver, dbName: ':memory:', entities: [Store] });
    meta = orm.getMetadata().get('Store');
  });
  after(() => orm.close(true));

  test('values the columns cannot hold are named, with what they take', () => {
    assert.deepEqual(
      unstorableFields(meta, {
        rating: 'abc',
        latitude: Number.NaN,
        openedOn: 'notadate',
        openedAt: new Date('nonsense'),
        kind: 'bogus',
      }),
      {
        rating: 'Must be a number, such as 12.50.',
        latitude: 'Must be a number.',
        openedOn: 'Must be a date (YYYY-MM-DD).',
        openedAt: 'Must be a valid date and time.',
        kind: 'Must be one of: shop, kiosk.',
      },
    );
    const digits = 'Must have at most 2 digits before the decimal point and 2 after.';
    assert.deepEqual(unstorableFields(meta, { rating: '123.4' }), { rating: digits });
    assert.deepEqual(unstorableFields(meta, { rating: '3.257' }), { rating: digits }, 'not rounded silently');
    assert.deepEqual(unstorableFields(meta, { latitude: 'north', openedOn: '2025-02-30' }), {
      latitude: 'Must be a number.',
      openedOn: 'Must be a date (YYYY-MM-DD).',
    });
    assert.deepEqual(unstorableFields(meta, { latitude: Infinity }), { latitude: 'Must be a number.' });
    // A time of day: PostgreSQL refused "9am" (a 500) where SQLite stored it, and rounded a fraction.
    const time = 'Must be a time of day (HH:MM or HH:MM:SS, 00:00 to 23:59:59).';
    for (const opensAt of ['9am', '24:00', '09:60', '9:30', '09:30:15.25', '09:30:60', ' 09:30'])
      assert.deepEqual(unstorableFields(meta, { opensAt }), { opensAt: time }, opensAt);
  });

  test('values that fit, and null, pass', () => {
    assert.deepEqual(
      unstorableFields(meta, {
        rating: '99.99',
        latitude: -33.5,
        openedOn: '2024-02-29',
        openedAt: new Date('2025-01-02T03:04:05Z'),
        kind: 'kiosk',
        opensAt: '09:30',
      }),
      {},
    );
    assert.deepEqual(unstorableFields(meta, { opensAt: '23:59:59' }), {});
    assert.deepEqual(unstorableFields(meta, { rating: 4.5 }), {});
    assert.deepEqual(unstorableFields(meta, { rating: '-0.5' }), {});
    assert.deepEqual(
      unstorableFields(meta, { rating: null, latitude: null, openedOn: null, openedAt: null, kind: null }),
      {},
    );
  });

  test('the OpenAPI schema of a time of day takes what is stored and what is served', () => {
    const schema = propertySchema(meta, 'opensAt');
    assert.deepEqual(schema.type, ['string', 'null']);
    assert.equal(schema.format, undefined, "not RFC 3339's time, which needs an offset");
    const pattern = new RegExp(String(schema.pattern));
    for (const value of ['09:30', '09:30:00', '23:59:59']) assert.match(value, pattern);
    for (const value of ['9am', '24:00', '09:30:00.5']) assert.doesNotMatch(value, pattern);
  });

  test('a nullable enum admits null: as served, and in a PATCH that clears it', () => {
    // `type: ["string", "null"]` with `enum: ["shop", "kiosk"]` refused null all the same: fast's
    // document contradicted the null it served, and `{"kind": null}` could never clear the field.
    const schema = propertySchema(meta, 'kind');
    assert.deepEqual(schema.enum, ['shop', 'kiosk', null]);
    assert.equal(valid(schema, null), true);
    assert.equal(valid(schema, 'bogus'), false);
    const { update } = writeBodySchemas(stores, () => meta);
    assert.equal(valid(update, { kind: null }), true);
    assert.equal(valid(update, { kind: 'kiosk' }), true);
    assert.equal(valid(update, { kind: 'bogus' }), false);
  });

  test('a write body keeps the decimal and time-of-day patterns: bad values never reach the queue', () => {
    // The no-NUL pattern replaced them, so {"rating": "abc"} was queued (202) and refused by the applier.
    const { create, update } = writeBodySchemas(stores, () => meta);
    for (const body of [create, update]) {
      assert.equal(valid(body, { rating: '12.50', opensAt: '09:30' }), true);
      assert.equal(valid(body, { rating: null, opensAt: null }), true);
      for (const rating of ['abc', '1.5e3', '12.50\u0000'])
        assert.equal(valid(body, { rating }), false, rating);
      for (const opensAt of ['99:99', '9am', '09:30\u0000'])
        assert.equal(valid(body, { opensAt }), false, opensAt);
    }
    // And the OpenAPI request body publishes them.
    const published = create?.properties as Record<string, JsonSchema>;
    assert.equal(published.rating?.pattern, propertySchema(meta, 'rating').pattern);
    assert.equal(published.opensAt?.pattern, propertySchema(meta, 'opensAt').pattern);
  });
});
