/**
 * The list's search box over a team's own columns that are strings to MikroORM but not text to the
 * database (a date, a time, a decimal): left out of the default search fields, and matched on their
 * text form when a declaration names them. PostgreSQL has no lower() of a date: a search was a 500.
 * Real database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { buildWhere } from '../src/orm/where.js';
import { Stall, stallsDatabase } from './column-kinds-support.js';

describe(`searching dates, times and decimals (${testDialect()})`, () => {
  const { orm: stallsOrm } = stallsDatabase(
    `insert into stalls (name, opened_on, closes_at, rating) values ('Quay', '2027-01-31', '18:30', 4.5), ('Dock', null, null, null)`,
  );

  const search = async (term: string) => {
    const meta = stallsOrm().getMetadata().get('Stall');
    const where = buildWhere(
      { filters: { q: { path: 'q', value: term, property: null as never } } } as never,
      meta,
      ['name', 'openedOn', 'closesAt', 'rating'],
    );
    const rows = await stallsOrm()
      .em.fork()
      .find(Stall, where, { orderBy: { id: 'asc' } });
    return rows.map((row) => (row as { name: string }).name);
  };

  test('a search term matches the text form of each, and never fails the query', async () => {
    assert.deepEqual(await search('2027-01'), ['Quay']);
    assert.deepEqual(await search('18:30'), ['Quay']);
    assert.deepEqual(await search('4.5'), ['Quay']);
    assert.deepEqual(await search('dock'), ['Dock']);
    assert.deepEqual(await search('nothing like it'), []);
  });
});
