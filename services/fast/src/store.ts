import { hash } from 'node:crypto';
import type { CompiledProjection, RecordRow } from '@tandem/changefeed';
import { ByteArena, exactBuffer } from './byte-arena.js';

/** A record ready to send: its JSON bytes and ETag, computed once when it changed. */
export interface PreparedRecord {
  readonly id: number;
  readonly bytes: Buffer;
  readonly etag: string;
  /** Values of the filterable fields, as query strings compare them. */
  readonly filterKeys: readonly string[];
}

export type StoreChange =
  { readonly op: 'upsert'; readonly record: PreparedRecord } | { readonly op: 'delete'; readonly id: number };

export interface Page {
  readonly items: readonly PreparedRecord[];
  readonly next: number | null;
}

function insertSorted(ids: number[], id: number): void {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  if (ids[lo] !== id) ids.splice(lo, 0, id);
}

function removeSorted(ids: number[], id: number): void {
  const at = firstAfter(ids, id - 1);
  if (ids[at] === id) ids.splice(at, 1);
}

/** Index of the first id greater than `after`. */
function firstAfter(ids: readonly number[], after: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const filterKey = (value: unknown): string =>
  value === null || value === undefined ? 'null' : String(value);

/**
 * One hot collection in memory: prepared bytes per record, ids kept sorted for keyset pagination and
 * one sorted id list per value of each filterable field. Writes happen per change (feed), reads per
 * request never serialize anything.
 */
export class CollectionStore {
  readonly name: string;
  readonly scope: string;
  readonly filterable: readonly string[];
  private readonly records = new Map<number, PreparedRecord>();
  private readonly ids: number[] = [];
  private readonly indexes: Map<string, number[]>[];

  constructor(projection: CompiledProjection) {
    this.name = projection.collection;
    this.scope = projection.scope;
    this.filterable = projection.filterable;
    this.indexes = projection.filterable.map(() => new Map());
  }

  get size(): number {
    return this.records.size;
  }

  get(id: number): PreparedRecord | undefined {
    return this.records.get(id);
  }

  private prepare(id: number, json: string, arena: ByteArena | undefined): PreparedRecord {
    const bytes = arena ? arena.copy(json) : exactBuffer(json);
    const etag = `"${hash('sha1', bytes, 'base64url').slice(0, 22)}"`;
    let filterKeys: string[] = [];
    if (this.filterable.length > 0) {
      const parsed = JSON.parse(json) as Record<string, unknown>;
      filterKeys = this.filterable.map((field) => filterKey(parsed[field]));
    }
    return { id, bytes, etag, filterKeys };
  }

  /**
   * Stores the record; returns it, or undefined when the bytes did not change (nothing to publish).
   * With an arena (a snapshot), an unchanged record is still moved into it, so the previous
   * snapshot's slabs are released as a whole.
   */
  upsert(id: number, json: string, arena?: ByteArena): PreparedRecord | undefined {
    const previous = this.records.get(id);
    const record = this.prepare(id, json, arena);
    const changed = previous === undefined || !previous.bytes.equals(record.bytes);
    if (!changed && !arena) return undefined;
    if (previous) this.unindex(previous);
    else insertSorted(this.ids, id);
    this.records.set(id, record);
    this.index(record);
    return changed ? record : undefined;
  }

  delete(id: number): boolean {
    const previous = this.records.get(id);
    if (!previous) return false;
    this.records.delete(id);
    removeSorted(this.ids, id);
    this.unindex(previous);
    return true;
  }

  /**
   * Replaces the whole collection with a snapshot streamed in batches; returns what differs, for live
   * subscribers. Each row's string becomes bytes as it arrives, so only one batch of strings is alive.
   */
  async replaceAll(
    batches: AsyncIterable<readonly RecordRow[]>,
    onChange: (change: StoreChange) => void,
  ): Promise<void> {
    // A first load has nothing to diff against: no set of seen ids, nothing to delete afterwards.
    const seen = this.records.size > 0 ? new Set<number>() : undefined;
    const arena = new ByteArena();
    for await (const rows of batches) {
      for (const row of rows) {
        seen?.add(row.id);
        const record = this.upsert(row.id, row.json, arena);
        if (record) onChange({ op: 'upsert', record });
      }
    }
    if (!seen) return;
    for (const id of [...this.records.keys()]) {
      if (!seen.has(id) && this.delete(id)) onChange({ op: 'delete', id });
    }
  }

  /**
   * Up to `limit` records with id > `after` whose filterable fields equal the given values. The first
   * filter walks that field's index; further filters are checked on the prepared record.
   */
  page(
    after: number | undefined,
    limit: number,
    filters: readonly { readonly field: string; readonly value: string }[] = [],
  ): Page {
    let ids: readonly number[] = this.ids;
    const checks = filters.map((f) => ({ at: this.filterable.indexOf(f.field), value: f.value }));
    if (checks.some((c) => c.at < 0)) return { items: [], next: null };
    const first = checks.shift();
    if (first) ids = this.indexes[first.at]!.get(first.value) ?? [];
    const items: PreparedRecord[] = [];
    let i = after === undefined ? 0 : firstAfter(ids, after);
    for (; i < ids.length && items.length < limit; i++) {
      const record = this.records.get(ids[i]!)!;
      if (checks.every((c) => record.filterKeys[c.at] === c.value)) items.push(record);
    }
    return { items, next: i < ids.length && items.length > 0 ? items[items.length - 1]!.id : null };
  }

  private index(record: PreparedRecord): void {
    record.filterKeys.forEach((key, i) => {
      const index = this.indexes[i]!;
      let ids = index.get(key);
      if (!ids) index.set(key, (ids = []));
      insertSorted(ids, record.id);
    });
  }

  private unindex(record: PreparedRecord): void {
    record.filterKeys.forEach((key, i) => {
      const index = this.indexes[i]!;
      const ids = index.get(key);
      if (!ids) return;
      removeSorted(ids, record.id);
      if (ids.length === 0) index.delete(key);
    });
  }
}

/** Every hot collection, by name. */
export class HotStore {
  readonly collections = new Map<string, CollectionStore>();
  ready = false;

  constructor(projections: readonly CompiledProjection[]) {
    for (const p of projections) this.collections.set(p.collection, new CollectionStore(p));
  }

  get(name: string): CollectionStore | undefined {
    return this.collections.get(name);
  }
}

const ITEMS_OPEN = Buffer.from('{"items":[');
const COMMA = 0x2c;
const NEXT_NULL = Buffer.from('],"next":null}');

/**
 * One response buffer reused by every list request: assembling a page is then a few memcpys, with no
 * allocation of a ~100 KB buffer per request for the garbage collector to chase. uWebSockets.js copies
 * the body during `res.end`, so the contract is: send the returned bytes before the next `listBody` call
 * (synchronously, which the request pipeline guarantees).
 */
let scratch = Buffer.allocUnsafe(256 * 1024);

/** A list response assembled from prepared record bytes: no serialization of records per request. */
export function listBody(page: Page): Buffer {
  const tail = page.next === null ? NEXT_NULL : Buffer.from(`],"next":"${page.next}"}`);
  let size = ITEMS_OPEN.length + tail.length + Math.max(0, page.items.length - 1);
  for (const record of page.items) size += record.bytes.length;
  if (size > scratch.length) scratch = Buffer.allocUnsafe(2 ** Math.ceil(Math.log2(size)));
  let at = 0;
  scratch.set(ITEMS_OPEN, at);
  at += ITEMS_OPEN.length;
  for (let i = 0; i < page.items.length; i++) {
    if (i > 0) scratch[at++] = COMMA;
    const bytes = page.items[i]!.bytes;
    scratch.set(bytes, at);
    at += bytes.length;
  }
  scratch.set(tail, at);
  at += tail.length;
  return scratch.subarray(0, at);
}
