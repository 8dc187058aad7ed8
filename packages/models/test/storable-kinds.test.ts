/**
 * Values of the column kinds a team's own model may use (decimal, double, date, enum) that the column
 * cannot hold are field errors before any SQL. A walkthrough that added such fields got a 500 from the
 * admin for `abc` in a double (NaN reached the SQL as a column name) and, on SQLite, "abc" stored in a
 * decimal and "notadate" in a date, which fast then served. Pure logic over real MikroORM metadata.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineEntity, MikroORM, type EntityMetadata } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { unstorableFields } from '../src/storable-values.js';

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
  },
});

describe('unstorableFields: decimal, double, date and enum columns', () => {
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
  });

  test('values that fit, and null, pass', () => {
    assert.deepEqual(
      unstorableFields(meta, {
        rating: '99.99',
        latitude: -33.5,
        openedOn: '2024-02-29',
        openedAt: new Date('2025-01-02T03:04:05Z'),
        kind: 'kiosk',
      }),
      {},
    );
    assert.deepEqual(unstorableFields(meta, { rating: 4.5 }), {});
    assert.deepEqual(unstorableFields(meta, { rating: '-0.5' }), {});
    assert.deepEqual(
      unstorableFields(meta, { rating: null, latitude: null, openedOn: null, openedAt: null, kind: null }),
      {},
    );
  });
});
