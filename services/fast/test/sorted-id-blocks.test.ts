import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompiledProjection } from '@tandem/changefeed';
import { SortedIdBlocks } from '../src/data/sorted-id-blocks.js';
import { CollectionStore } from '../src/data/store.js';

/** A small deterministic generator (mulberry32): the same operations on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Up to `limit` ids after `after` as SortedIdBlocks hands them out, and whether it said more remain. */
function take(ids: SortedIdBlocks, after: number, limit: number): { seen: number[]; more: boolean } {
  const seen: number[] = [];
  const more = ids.forEachAfter(after, (id) => {
    seen.push(id);
    return seen.length < limit;
  });
  return { seen, more };
}

test('sorted id blocks agree with a plain sorted list through adds, removes, splits and emptied blocks', () => {
  const next = random(7);
  const ids = new SortedIdBlocks();
  const reference = new Set<number>();
  // Ascending adds first (a snapshot), then random adds and removes, then removal of nearly everything:
  // blocks split (more than 1,024 ids each) and empty.
  for (let id = 2; id <= 10_000; id += 2) {
    assert.equal(ids.add(id), true);
    reference.add(id);
  }
  const steps = [
    ...Array.from({ length: 20_000 }, () => () => {
      const id = 1 + Math.floor(next() * 12_000);
      if (next() < 0.55) {
        assert.equal(ids.add(id), !reference.has(id), `add ${id}`);
        reference.add(id);
      } else assert.equal(ids.delete(id), reference.delete(id), `delete ${id}`);
    }),
    ...Array.from({ length: 12_000 }, (_, i) => () => {
      if (i % 50 === 0) return;
      assert.equal(ids.delete(i + 1), reference.delete(i + 1), `delete ${i + 1}`);
    }),
  ];
  for (const [n, step] of steps.entries()) {
    step();
    if (n % 4000 !== 3999) continue;
    const sorted = [...reference].sort((a, b) => a - b);
    assert.equal(ids.size, sorted.length);
    for (const after of [-Infinity, 0, 1, 777, 5000, 9999, 11_999, 12_000, sorted.at(-1) ?? 0]) {
      for (const limit of [1, 50, 3000, 20_000]) {
        const wanted = sorted.filter((id) => id > after);
        const { seen, more } = take(ids, after, limit);
        assert.deepEqual(seen, wanted.slice(0, limit), `after ${after}, limit ${limit}`);
        assert.equal(more, wanted.length > limit, `more after ${after}, limit ${limit}`);
      }
    }
  }
});

test('an empty set visits nothing, and re-adding or removing twice changes nothing', () => {
  const ids = new SortedIdBlocks();
  assert.deepEqual(take(ids, -Infinity, 10), { seen: [], more: false });
  assert.equal(ids.delete(3), false);
  assert.equal(ids.add(3), true);
  assert.equal(ids.add(3), false);
  assert.equal(ids.size, 1);
  assert.equal(ids.delete(3), true);
  assert.equal(ids.delete(3), false);
  assert.deepEqual(take(ids, -Infinity, 10), { seen: [], more: false });
});

const projection: CompiledProjection = {
  collection: 'orders',
  table: 'orders',
  scope: 'orders:read',
  filterable: ['status'],
  fields: [],
  snapshotSql: '',
  rereadSql: '',
  lookupSql: '',
};

test('filtered pages follow records whose filter value changes, stays, arrives or leaves', async () => {
  const next = random(11);
  const statuses = ['pending', 'paid', 'shipped'];
  const status = new Map<number, string>();
  const json = (id: number, version: number) => JSON.stringify({ id, status: status.get(id), version });
  const store = new CollectionStore(projection);
  for (let id = 1; id <= 6000; id++) status.set(id, statuses[id % 3]!);
  const rows = [...status.keys()].map((id) => ({ id, json: json(id, 0) }));
  await store.replaceAll(
    (async function* () {
      for (let i = 0; i < rows.length; i += 1000) yield rows.slice(i, i + 1000);
    })(),
    () => undefined,
  );
  for (let version = 1; version <= 4000; version++) {
    const id = 1 + Math.floor(next() * 7000);
    const roll = next();
    if (roll < 0.15) {
      status.delete(id);
      store.delete(id);
      continue;
    }
    // Half the changes keep the record's status (a total edited), half move it to another one.
    if (roll < 0.6 || !status.has(id)) status.set(id, statuses[Math.floor(next() * 3)]!);
    store.upsert(id, json(id, version));
  }
  for (const value of statuses) {
    const wanted = [...status].filter(([, s]) => s === value).map(([id]) => id);
    wanted.sort((a, b) => a - b);
    let after: number | undefined;
    const listed: number[] = [];
    for (;;) {
      const page = store.page(after, 500, [{ field: 'status', value }]);
      listed.push(...page.items.map((record) => record.id));
      if (page.next === null) break;
      after = page.next;
    }
    assert.deepEqual(listed, wanted, `status=${value}: every record with it, once, in id order`);
  }
});
