/**
 * `field=null` selects the rows whose value is null (or absent), as the README says: a text field
 * whose value is the string "null" is another value, not the same one, whether the page walks the
 * field's index (a shared collection) or an owner's rows (row access).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompiledProjection } from '@tandem/changefeed';
import { CollectionStore } from '../src/data/store.js';

const shared: CompiledProjection = {
  collection: 'stores',
  table: 'stores',
  scope: 'catalog:read',
  filterable: ['city', 'active'],
  fields: [
    { name: 'city', column: 'city', kind: 'scalar', valueType: 'text' },
    { name: 'active', column: 'active', kind: 'boolean', valueType: 'boolean' },
  ],
  snapshotSql: '',
  rereadSql: '',
  lookupSql: '',
};
const owned: CompiledProjection = {
  ...shared,
  collection: 'notes',
  rowAccess: { field: 'userId', claim: 'sub' },
};

const row = (id: number, city: string | null | undefined, active = true) =>
  JSON.stringify({ id, userId: 7, city, active });

/** Every id a filter lists, following the cursor two rows at a time. */
function listed(store: CollectionStore, field: string, value: string, owner?: string): number[] {
  const ids: number[] = [];
  let after: number | undefined;
  for (;;) {
    const page = store.page(after, 2, [{ field, value }], owner);
    ids.push(...page.items.map((record) => record.id));
    if (page.next === null) return ids;
    after = page.next;
  }
}

for (const [label, projection, owner] of [
  ['the field index', shared, undefined],
  ["an owner's rows", owned, '7'],
] as const) {
  test(`city=null lists null and absent cities, not the city "null" (${label})`, async () => {
    const store = new CollectionStore(projection);
    await store.replaceAll(
      (async function* () {
        yield [1, 2, 3, 4, 5].map((id) => ({
          id,
          json: row(id, [null, 'null', 'Lyon', undefined, 'null'][id - 1]),
        }));
      })(),
      () => undefined,
    );
    assert.deepEqual(listed(store, 'city', 'null', owner), [1, 4]);
    assert.deepEqual(listed(store, 'city', 'Lyon', owner), [3]);

    // A row moving between null and "null" moves between what the filter lists.
    store.upsert(1, row(1, 'null'));
    store.upsert(2, row(2, null));
    store.upsert(6, row(6, null, false));
    assert.deepEqual(listed(store, 'city', 'null', owner), [2, 4, 6]);
    store.upsert(7, row(7, 'null', false));
    // A second filter is checked on the record itself, with the same keys.
    const inactiveWithoutCity = [
      { field: 'active', value: 'false' },
      { field: 'city', value: 'null' },
    ];
    const page = store.page(undefined, 10, inactiveWithoutCity, owner);
    assert.deepEqual(
      page.items.map((record) => record.id),
      [6],
    );
    store.delete(4);
    assert.deepEqual(listed(store, 'city', 'null', owner), [2, 6]);
  });
}
