import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompiledProjection } from '@tandem/changefeed';
import { ByteArena } from '../src/data/byte-arena.js';
import { SortedRecords } from '../src/data/sorted-records.js';
import { CollectionStore, type Page } from '../src/data/store.js';
import { listBody } from '../src/http/list-body.js';

const projection: CompiledProjection = {
  collection: 'products',
  table: 'products',
  scope: 'catalog:read',
  filterable: ['categoryId'],
  fields: [],
  snapshotSql: '',
  rereadSql: '',
  lookupSql: '',
};

const json = (id: number, version = 0) =>
  JSON.stringify({ id, categoryId: id % 3, name: `product ${id}`, version, note: 'é, "quoted" ✓' });

async function* batches(rows: { id: number; json: string }[], size: number) {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/** The body a list must be: the records' own bytes, joined as a JSON array, by any other route. */
function expected(page: Page): string {
  const items = page.items.map((record) => record.bytes.toString('utf8')).join(',');
  return `{"items":[${items}],"next":${page.next === null ? 'null' : `"${page.next}"`}}`;
}

function assertPages(store: CollectionStore, ids: readonly number[]): void {
  for (const limit of [1, 2, 7, 50, 1000]) {
    for (const after of [undefined, 0, 1, 13, 250, 599, 600]) {
      for (const filters of [[], [{ field: 'categoryId', value: '1' }]]) {
        const page = store.page(after, limit, filters);
        const body = listBody(page).toString('utf8');
        assert.equal(body, expected(page), `after=${after} limit=${limit} filters=${filters.length}`);
        const parsed = JSON.parse(body) as { items: { id: number }[] };
        const wanted = ids
          .filter((id) => id > (after ?? 0) && (filters.length === 0 || id % 3 === 1))
          .slice(0, limit);
        assert.deepEqual(
          parsed.items.map((item) => item.id),
          wanted,
        );
      }
    }
  }
}

test('list bodies copy neighbours as ranges and stay exact after updates, inserts and deletes', async () => {
  const store = new CollectionStore(projection);
  const rows = Array.from({ length: 600 }, (_, i) => ({ id: i + 1, json: json(i + 1) }));
  await store.replaceAll(batches(rows, 64), () => undefined);
  let ids = rows.map((row) => row.id);

  const whole = store.page(undefined, 600);
  assert.deepEqual(whole.runs, [0], 'a freshly loaded collection is one contiguous range');
  assertPages(store, ids);

  // Changes after the snapshot get buffers of their own: ranges split around them.
  for (const id of [2, 3, 100, 101, 599]) store.upsert(id, json(id, 1));
  for (const id of [50, 51, 52, 300]) store.delete(id);
  for (const id of [601, 602]) store.upsert(id, json(id));
  ids = ids.filter((id) => ![50, 51, 52, 300].includes(id)).concat([601, 602]);
  const split = store.page(undefined, 1000);
  assert.ok(split.runs!.length > 5, `the page is several ranges now (${split.runs!.length})`);
  assertPages(store, ids);

  // A reload puts everything back into one arena, in order.
  const reloaded = ids.map((id) => ({ id, json: json(id, 2) }));
  await store.replaceAll(batches(reloaded, 100), () => undefined);
  assert.deepEqual(store.page(undefined, 1000).runs, [0]);
  assertPages(store, ids);
});

test('an empty page and a page past the end are valid JSON', async () => {
  const store = new CollectionStore(projection);
  assert.equal(listBody(store.page(undefined, 10)).toString(), '{"items":[],"next":null}');
  await store.replaceAll(batches([{ id: 1, json: json(1) }], 1), () => undefined);
  assert.equal(listBody(store.page(1, 10)).toString(), '{"items":[],"next":null}');
  assert.equal(listBody(store.page(undefined, 1)).toString(), `{"items":[${json(1)}],"next":null}`);
});

test('a range never crosses from one slab into the next', () => {
  // 1 KiB slabs hold records of up to 64 bytes: these ~25-byte ones fill several.
  const arena = new ByteArena(0x2c, 1024);
  const sorted = new SortedRecords();
  const etag = Buffer.from('"x"');
  for (let id = 1; id <= 200; id++) {
    const bytes = arena.copy(JSON.stringify({ id, n: 'x'.repeat(id % 7) }));
    const slab = ByteArena.slabOf(bytes)!;
    const start = bytes.byteOffset - slab.byteOffset;
    sorted.set({ id, bytes, slab, start, end: start + bytes.length, etag, filterKeys: [], owner: undefined });
  }
  const slice = sorted.slice(0, 200);
  const slabs = new Set(slice.items.map((record) => record.bytes.buffer));
  assert.ok(slabs.size > 3);
  assert.equal(slice.runs.length, slabs.size, 'one range per slab');
  const page: Page = { ...slice, next: null };
  assert.equal(listBody(page).toString(), expected(page));
  assert.equal(JSON.parse(listBody(page).toString()).items.length, 200);
});

test('pages stay exact when deletes leave holes: a few, many at once, one revived before a read', async () => {
  const store = new CollectionStore(projection);
  const rows = Array.from({ length: 600 }, (_, i) => ({ id: i + 1, json: json(i + 1) }));
  await store.replaceAll(batches(rows, 600), () => undefined);
  let ids = rows.map((row) => row.id);
  const remove = (gone: readonly number[]) => {
    for (const id of gone) store.delete(id);
    ids = ids.filter((id) => !gone.includes(id));
  };

  // Fewer holes than one pass is worth (each spliced out), then many (one pass), between two reads.
  remove([7, 8, 400]);
  assertPages(store, ids);
  remove([1, 2, 3, 100, 101, 102, 103, 250, 599, 600, ...Array.from({ length: 60 }, (_, i) => 300 + i)]);
  assertPages(store, ids);
  assert.ok(store.page(undefined, 1000).runs!.length > 1, 'a deleted neighbour splits a range');

  // Deleted and back (with other bytes) before any read: its slot is filled again, not closed.
  remove([40, 41, 42, 43, 44, 45]);
  for (const id of [41, 44]) store.upsert(id, json(id, 7));
  ids = [...ids, 41, 44].sort((a, b) => a - b);
  assertPages(store, ids);
  assert.equal(JSON.parse(listBody(store.page(40, 1)).toString()).items[0].version, 7);
});
