/**
 * The bytes a projection builds for a team's own column kinds are the same on both databases and the
 * same whatever the PostgreSQL session's time zone: a `date` is "YYYY-MM-DD" (it was turned into a
 * timestamp at the session's zone, so Tokyo saw the day before), and a decimal is a string with its
 * scale ("4.50"), as the OpenAPI document and the generated client say (it was a JSON number), and a
 * time of day is "HH:MM:SS" (SQLite served "09:30" as typed where PostgreSQL served "09:30:00").
 * Real database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineEntity } from '@mikro-orm/core';
import { openOrm, type Orm } from '@tandem/models';
import { createTestDatabase, testDialect, type TestDatabase } from '@tandem/models/testing';
import { compileProjection } from '../src/projection.js';

const p = defineEntity.properties;
const Stall = defineEntity({
  name: 'Stall',
  tableName: 'stalls',
  properties: {
    id: p.integer().primary().autoincrement(),
    openedOn: p.date().nullable(),
    rating: p.decimal().precision(4).scale(2).nullable(),
    kind: p.enum(['shop', 'kiosk']).nullable(),
    opensAt: p.time().nullable(),
  },
});

describe(`a projection's dates and decimals (${testDialect()})`, () => {
  let database: TestDatabase;
  let orm: Orm;
  before(async () => {
    database = await createTestDatabase();
    orm = await openOrm(database.target, { entities: [Stall] });
    await orm.schema.createSchema();
  });
  after(async () => {
    await orm?.close(true);
    await database?.drop();
  });

  test('a date stays the calendar day, a decimal keeps its scale, a time has its seconds, null stays null', async () => {
    const dialect = database.target.dialect;
    const projection = compileProjection(
      {
        entity: 'Stall',
        table: 'stalls',
        collection: 'stalls',
        scope: 'catalog:read',
        fields: { id: 'id', openedOn: 'openedOn', rating: 'rating', opensAt: 'opensAt' },
      },
      (name) => orm.getMetadata().find(name) ?? undefined,
      dialect,
    );
    // An enum's items travel with the field: a filter value outside them can be refused (fast).
    assert.deepEqual(
      compileProjection(
        {
          entity: 'Stall',
          table: 'stalls',
          collection: 'stalls',
          scope: 'catalog:read',
          fields: { id: 'id', kind: 'kind' },
        },
        (name) => orm.getMetadata().find(name) ?? undefined,
        dialect,
      ).fields.find((field) => field.name === 'kind')?.items,
      ['shop', 'kiosk'],
    );
    const connection = orm.em.getConnection();
    await connection.execute(
      `insert into stalls (opened_on, rating, opens_at) values ('2025-01-02', 4.5, '09:30'), (null, null, null), (null, null, '23:59:59')`,
    );
    const zones = dialect === 'postgresql' ? ['UTC', 'Asia/Tokyo', 'America/New_York'] : ['(none)'];
    for (const zone of zones) {
      const rows =
        dialect === 'postgresql'
          ? await orm.em.fork().transactional(async (em) => {
              await em.execute(`set local time zone '${zone}'`);
              return em.execute<{ json: string }[]>(projection.snapshotSql);
            })
          : await connection.execute<{ json: string }[]>(projection.snapshotSql);
      assert.deepEqual(
        rows.map((row) => row.json),
        [
          '{"id":1,"openedOn":"2025-01-02","rating":"4.50","opensAt":"09:30:00"}',
          '{"id":2,"openedOn":null,"rating":null,"opensAt":null}',
          '{"id":3,"openedOn":null,"rating":null,"opensAt":"23:59:59"}',
        ],
        zone,
      );
    }
  });

  test("a plain column's declared enum travels with the field, as an ORM enum's items do", () => {
    const stall = (schema: Record<string, { enum: unknown[] }>) =>
      compileProjection(
        {
          entity: 'Stall',
          table: 'stalls',
          collection: 'stalls',
          scope: 'catalog:read',
          fields: { id: 'id', rating: 'rating', opensAt: 'opensAt' },
          schema,
        },
        (name) => orm.getMetadata().find(name) ?? undefined,
        database.target.dialect,
      ).fields;
    const fields = stall({ opensAt: { enum: ['09:00', '10:00'] }, rating: { enum: [1, 2] } });
    assert.deepEqual(fields.find((field) => field.name === 'opensAt')?.items, ['09:00', '10:00']);
    assert.equal(fields.find((field) => field.name === 'rating')?.items, undefined, 'only string items');
  });
});
