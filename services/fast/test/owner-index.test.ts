/**
 * The per-owner index of a row-access collection (CollectionStore): after any sequence of snapshot
 * loads, upserts (owner changes included) and deletes, an owner's pages are exactly what filtering
 * the whole collection by owner gives, and the changes it reports say who must be told of what.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompiledProjection } from '@tandem/changefeed';
import { CollectionStore, type Page } from '../src/data/store.js';
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
