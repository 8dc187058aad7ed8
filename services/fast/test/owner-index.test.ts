/**
 * The per-owner index of a row-access collection (CollectionStore): after any sequence of snapshot
 * loads, upserts (owner changes included) and deletes, an owner's pages are exactly what filtering
 * the whole collection by owner gives, and the changes it reports say who must be told of what.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompiledProjection } from '@tandem/changefeed';
import { CollectionStore, MAX_ROWS_EXAMINED, type Page } from '../src/data/store.js';
import type { StoreChange } from '../src/data/prepared-record.js';
import { random } from './support/orders.js';

const projection: CompiledProjection = {
  collection: 'orders',
  table: 'orders',
  scope: 'orders:read',
  filterable: ['status'],
  rowAccess: { field: 'userId', claim: 'sub', anyScope: 'orders:read:any' },
  fields: [],
  snapshotSql: '',
  rereadSql: '',
  lookupSql: '',
};
const STATUSES = ['pending', 'paid'];

const json = (id: number, userId: number | null, status: string, version: number) =>
  JSON.stringify({ id, userId, status, version });

async function* batches(rows: { id: number; json: string }[]) {
  yield rows;
}

/** Every page of `owner`'s rows (optionally filtered), following the cursor. */
function walk(store: CollectionStore, owner: string, limit: number, status?: string): number[] {
  const ids: number[] = [];
  let after: number | undefined;
  for (;;) {
    const page: Page = store.page(after, limit, status ? [{ field: 'status', value: status }] : [], owner);
    ids.push(...page.items.map((r) => r.id));
    if (page.next === null) return ids;
    after = page.next;
  }
}

test('an owner lists exactly their rows after random upserts, owner changes and deletes', async () => {
  const next = random(20261201);
  const store = new CollectionStore(projection);
  /** The truth: id → [owner, status]. */
  const rows = new Map<number, [number | null, string]>();
  let version = 0;
  const snapshot = [];
  for (let id = 1; id <= 300; id++) {
    const owner = next(5) === 0 ? null : 1 + next(20);
    rows.set(id, [owner, STATUSES[next(2)]!]);
    snapshot.push({ id, json: json(id, owner, rows.get(id)![1], version) });
  }
  await store.replaceAll(batches(snapshot), () => undefined);
  for (let step = 0; step < 3000; step++) {
    const id = 1 + next(400);
    const previous = rows.get(id);
    if (next(6) === 0) {
      const change = store.delete(id);
      assert.deepEqual(change, previous ? { op: 'delete', id, owner: previous[0]?.toString() } : undefined);
      rows.delete(id);
      continue;
    }
    const owner = next(5) === 0 ? null : 1 + next(20);
    const status = STATUSES[next(2)]!;
    const change = store.upsert(id, json(id, owner, status, ++version)) as Extract<
      StoreChange,
      { op: 'upsert' }
    >;
    assert.equal(change.record.owner, owner?.toString());
    // The previous owner is named only when the row changed hands (they must be told of a delete).
    assert.equal(change.movedFrom, previous && previous[0] !== owner ? previous[0]?.toString() : undefined);
    rows.set(id, [owner, status]);
  }
  const owners = new Set([...rows.values()].map(([owner]) => owner).filter((o) => o !== null));
  assert.equal(store.ownerCount, owners.size, 'an owner without rows leaves the index');
  for (let owner = 1; owner <= 21; owner++) {
    const mine = [...rows]
      .filter(([, [o]]) => o === owner)
      .map(([id]) => id)
      .sort((a, b) => a - b);
    for (const limit of [1, 3, 50])
      assert.deepEqual(walk(store, String(owner), limit), mine, `owner ${owner}`);
    const paid = mine.filter((id) => rows.get(id)![1] === 'paid');
    assert.deepEqual(walk(store, String(owner), 2, 'paid'), paid, `owner ${owner}, paid`);
  }
  // Rows without an owner are nobody's: only a reader of every row lists them.
  assert.equal(store.page(undefined, 1000).items.length, rows.size);
});

test('a reloaded snapshot reports rows that changed hands while the feed was away', async () => {
  const store = new CollectionStore(projection);
  await store.replaceAll(batches([{ id: 1, json: json(1, 7, 'paid', 0) }]), () => undefined);
  const changes: StoreChange[] = [];
  await store.replaceAll(batches([{ id: 1, json: json(1, 8, 'paid', 0) }]), (c) => changes.push(c));
  assert.deepEqual(
    changes.map((c) => (c.op === 'upsert' ? [c.op, c.record.owner, c.movedFrom] : [c.op])),
    [['upsert', '8', '7']],
  );
  assert.deepEqual(walk(store, '7', 10), []);
  assert.deepEqual(walk(store, '8', 10), [1]);
});

test('a filtered page looks at no more than MAX_ROWS_EXAMINED rows, and following next still finds every match', async () => {
  // The attack: one user with many rows of one status asks for a status none of them has, again and
  // again; each request walked every row of theirs on the event loop.
  const store = new CollectionStore(projection);
  const rows = [];
  const total = MAX_ROWS_EXAMINED * 3 + 17;
  for (let id = 1; id <= total; id++)
    rows.push({ id, json: json(id, 1, id === total || id === 42 ? 'paid' : 'pending', 0) });
  await store.replaceAll(batches(rows), () => undefined);

  const filter = [{ field: 'status', value: 'paid' }];
  const first = store.page(undefined, 50, filter, '1');
  assert.deepEqual(
    first.items.map((r) => r.id),
    [42],
  );
  assert.equal(
    first.next,
    MAX_ROWS_EXAMINED,
    'the page ended at its budget, with a cursor past the rows it read',
  );
  const second = store.page(first.next!, 50, filter, '1');
  assert.deepEqual(second.items, []);
  assert.equal(second.next, 2 * MAX_ROWS_EXAMINED, 'an empty page still moves on');
  assert.deepEqual(walk(store, '1', 50, 'paid'), [42, total], 'every match, in order, once');
  // A status nobody has: every page empty, the walk ends.
  assert.deepEqual(walk(store, '1', 50, 'shipped'), []);
  // The same budget on a shared collection read with two filters (the second checked per row).
  const shared = new CollectionStore({
    ...projection,
    filterable: ['status', 'userId'],
    rowAccess: undefined,
  });
  await shared.replaceAll(batches(rows), () => undefined);
  const both = [
    { field: 'status', value: 'pending' },
    { field: 'userId', value: '2' },
  ];
  const page = shared.page(undefined, 50, both);
  assert.deepEqual(page.items, []);
  assert.notEqual(page.next, null, 'more rows remain: the budget ran out, not the rows');
  assert.ok(page.next! <= MAX_ROWS_EXAMINED + 1, `cursor ${page.next} past the budget`);
});
