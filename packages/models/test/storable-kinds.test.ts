/**
 * Values of the column kinds a team's own model may use (decimal, double, date, time, enum) that the column
 * cannot hold are field errors before any SQL. A walkthrough that added such fields got a 500 from the
 * admin for `abc` in a double (NaN reached the SQL as a column name) and, on SQLite, "abc" stored in a
 * decimal and "notadate" in a date, which fast then served. Pure logic over real MikroORM metadata.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineEntity, MikroORM, type EntityMetadata } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { unstorableFields } from '../src/storable-values.js';
import { propertySchema } from '../src/openapi/field-schema.js';

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
});
