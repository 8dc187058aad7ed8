/**
 * A filter on an enum field with a value the enum does not have could never match: 400 invalid_filter
 * (CollectionStore.filterValueProblem), not an empty page a client cannot tell from "none of them".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompiledProjection } from '@tandem/changefeed';
import { CollectionStore } from '../src/data/store.js';

const projection: CompiledProjection = {
  collection: 'stalls',
  table: 'stalls',
  scope: 'catalog:read',
  filterable: ['kind', 'city'],
  fields: [
    { name: 'kind', column: 'kind', kind: 'scalar', valueType: 'text', items: ['shop', 'kiosk'] },
    { name: 'city', column: 'city', kind: 'scalar', valueType: 'text' },
  ],
  snapshotSql: '',
  rereadSql: '',
  lookupSql: '',
};

test("an enum filter names the enum's items for a value it does not have; its items, null and text pass", () => {
  const store = new CollectionStore(projection);
  assert.equal(
    store.filterValueProblem('kind', 'bogus'),
    'kind is one of shop, kiosk (or null): "bogus" is not one.',
  );
  assert.equal(
    store.filterValueProblem('kind', 'Shop'),
    'kind is one of shop, kiosk (or null): "Shop" is not one.',
  );
  for (const value of ['shop', 'kiosk', 'null'])
    assert.equal(store.filterValueProblem('kind', value), undefined);
  assert.equal(store.filterValueProblem('city', 'bogus'), undefined, 'a text field takes any text');
});
