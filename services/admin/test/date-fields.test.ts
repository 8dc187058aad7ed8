/**
 * A team model's calendar date (`p.date()`, a string to MikroORM) in the admin: typed 'date', so the
 * form and the filter drawer give the UTC day picker (components/UtcDatePicker.jsx, "2026-12-01" both
 * ways) instead of a text input, it is among the default filters, and a day range lists the rows of
 * those days, both ends included, on each database (SQLite stores the text; PostgreSQL a date).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defineModel } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { OrmProperty } from '../src/orm/property.js';
import { buildWhere } from '../src/orm/where.js';
import { deriveAdmin } from '../src/resources/derived.js';
import { Stall, stallsDatabase } from './column-kinds-support.js';

describe(`a calendar date field (${testDialect()})`, () => {
  const { orm: stallsOrm } = stallsDatabase(
    `insert into stalls (name, opened_on) values ('Jan 30', '2027-01-30'), ('Jan 31', '2027-01-31'), ('Feb 1', '2027-02-01'), ('Feb 2', '2027-02-02'), ('Never', null)`,
  );

  const meta = () => stallsOrm().getMetadata().get('Stall');

  test('is a date to AdminJS (the day picker), and a default filter; a time of day stays text', () => {
    const property = (name: string) => new OrmProperty(meta().properties[name]!, 0, false, false);
    assert.equal(property('openedOn').type(), 'date');
    assert.equal(property('closesAt').type(), 'string');
    const { options } = deriveAdmin(meta(), defineModel(Stall, { admin: {} }));
    assert.ok(options.filterProperties?.includes('openedOn'), String(options.filterProperties));
  });

  const listed = async (range: { from?: string; to?: string }) => {
    const where = buildWhere(
      { filters: { openedOn: { path: 'openedOn', value: range, property: null as never } } } as never,
      meta(),
      ['name'],
    );
    const rows = await stallsOrm()
      .em.fork()
      .find(Stall, where, { orderBy: { id: 'asc' } });
    return rows.map((row) => (row as { name: string }).name);
  };

  test('a day range lists the rows of those days, both ends included', async () => {
    assert.deepEqual(await listed({ from: '2027-01-31', to: '2027-02-01' }), ['Jan 31', 'Feb 1']);
    assert.deepEqual(await listed({ from: '2027-02-01' }), ['Feb 1', 'Feb 2']);
    assert.deepEqual(await listed({ to: '2027-01-30' }), ['Jan 30']);
    // The start of the day as an instant, as a datetime picker would send it: the same day.
    assert.deepEqual(await listed({ from: '2027-01-31T00:00:00.000Z', to: '2027-01-31T00:00:00.000Z' }), [
      'Jan 31',
    ]);
  });

  test('an end that is not a day is no filter, never a query error', async () => {
    const all = ['Jan 30', 'Jan 31', 'Feb 1', 'Feb 2', 'Never'];
    for (const bad of ['2027-02-30', 'yesterday', "2027-01-31' or 1=1 --", '31/01/2027'])
      assert.deepEqual(await listed({ from: bad, to: '2027-02-01' }), all, bad);
  });
});
