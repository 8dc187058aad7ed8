import {
  recordEtag,
  type CompiledProjection,
  type FilterValueType,
  type RecordRow,
} from '@tandem/changefeed';
import { ownerKeyOf, type RowAccessClaim } from '@tandem/models';
import { AccessTokenVerifier, type VerifiedAccessToken } from '@tandem/tokens';
import { ByteArena, exactBuffer } from './byte-arena.js';
import { HotWindow } from './hot-window.js';
import {
  RECORD_SEPARATOR,
  type FilterKey,
  type PreparedRecord,
  type StoreChange,
} from './prepared-record.js';
import { OwnerFirstPages } from './owner-first-pages.js';
import { SortedIdBlocks } from './sorted-id-blocks.js';
import { SlabLocations } from './slab-locations.js';
import { SortedRecords } from './sorted-records.js';

/**
 * Where a snapshot's bytes go: record bodies each followed by a comma (so neighbours in id order form
 * a ready JSON array fragment), ETags in slabs of their own so they do not sit between bodies.
 */
interface SnapshotArenas {
  readonly records: ByteArena;
  readonly etags: ByteArena;
}

export interface Page {
  readonly items: readonly PreparedRecord[];
  /**
   * Indexes into `items` at which a range of bytes lying contiguously in memory begins (see
   * SortedRecords); undefined when every item is a range of its own.
   */
  readonly runs?: readonly number[];
  readonly next: number | null;
}

const EMPTY_PAGE: Page = { items: [], next: null };

/**
 * The most rows one filtered page looks at. A filter that matches few of the rows walked (an owner's
 * orders by a rare status, a second filter) would otherwise cost a walk of all of them per request, on
 * the event loop every other client waits on; a user can grow their own rows at will. A page that runs
 * out of budget ends early, with fewer items (even none) and a `next` cursor past the rows it looked at:
 * keyset paging stays exact, the client follows `next` as always.
 */
export const MAX_ROWS_EXAMINED = 2_000;

/** Up to `limit` records of `sorted` with id > `after`, with their contiguous byte runs. */
function keysetPage(sorted: SortedRecords, after: number | undefined, limit: number): Page {
  const start = after === undefined ? 0 : sorted.firstAfter(after);
  const end = Math.min(start + limit, sorted.length);
  const { items, runs } = sorted.slice(start, end);
  return { items, runs, next: end < sorted.length && end > start ? sorted.idAt(end - 1) : null };
}

interface FilterCheck {
  /** Index of the field in `filterable` (and so in each record's filterKeys). */
  readonly at: number;
  readonly value: FilterKey;
}

/** Row access as the store enforces it: the claim a reader's key comes from, and the lifting scope. */
export interface StoreRowAccess {
  readonly claim: RowAccessClaim;
  readonly anyScope: string | undefined;
  /** AccessTokenVerifier.scopeBit(anyScope), taken once (0 when there is none). */
  readonly anyScopeBit: number;
}

/**
 * Ids below this are also kept in a plain array indexed by id (see CollectionStore.get). 2^20 slots are
 * at most 8 MB of pointers, and only as many as the highest id in use needs.
 */
const DENSE_IDS = 1 << 20;

/** What the owners' cached first pages may hold per collection: ~5,000 users' 50-order pages. */
const OWNER_FIRST_PAGES_BYTES = 64 * 1024 * 1024;

/** A whole number as JSON writes it: no sign but minus, no leading zero, at most 16 digits. */
const INTEGER_TEXT = /^(?:0|-?[1-9][0-9]{0,15})$/;
/** A number as JSON writes it (String(Number(text)) gives the text back): 2.5, not 2.50 or 0x1. */
const isNumberText = (text: string) => text !== '' && String(Number(text)) === text;

/**
 * A row's value of a filterable field as its FilterKey. Filterable fields hold one string, number or
 * boolean (checkHotProjections refuses JSON and array properties), whose String() is its JSON text.
 */
const filterKey = (value: unknown): FilterKey =>
  value === null || value === undefined ? null : String(value);

/** A filter's query-string value as a FilterKey: `null` selects null, any other text itself. */
const queryFilterKey = (value: string): FilterKey => (value === 'null' ? null : value);

/**
 * One hot collection in memory: prepared bytes per record, the records in id order for keyset
 * pagination and the sorted ids per value of each filterable field. Writes happen per change
 * (feed), reads per request never serialize anything.
 */
export class CollectionStore {
  readonly name: string;
  readonly scope: string;
  /** AccessTokenVerifier.scopeBit(scope), taken once: /v1 reads test it against the token's mask. */
  readonly scopeBit: number;
  readonly filterable: readonly string[];
  /**
   * Per filterable field (same order), what its values are as JSON and, for an enum, its items: see
   * filterValueProblem.
   */
  private readonly filterValues: readonly {
    readonly type: FilterValueType;
    readonly items?: readonly string[];
  }[];
  private readonly records = new Map<number, PreparedRecord>();
  /**
   * The records with id < DENSE_IDS again, by index: GET /v1/{collection}/{id} looks a record up on
   * every request, and a random id in a 10,000-entry Map (hash, bucket, chain, all cache-cold between
   * requests) showed as 3.4% of the server's CPU samples under wrk (perf); an array slot is one load.
   * Kept in step with `records` by upsert and delete, the only two writers.
   */
  private readonly byId: (PreparedRecord | undefined)[] = [];
  /** Where the snapshot put each dense id's bytes and ETag: a GET's answer without the record object. */
  readonly located = new SlabLocations();
  private readonly sorted = new SortedRecords();
  /** Per filterable field, by value: the ids of the records that have it. */
  private readonly indexes: Map<FilterKey, SortedIdBlocks>[];
  /** Set when rows belong to owners (the projection's rowAccess); undefined for a shared collection. */
  readonly rowAccess: StoreRowAccess | undefined;
  private readonly ownerField: string | undefined;
  /**
   * Per owner key, that owner's rows in id order: kept as rows change (insert, delete, owner change),
   * so "my list" is a Map lookup and a keyset slice of the owner's rows, whatever the collection's size.
   */
  private readonly owners = new Map<string, SortedRecords>();
  /** Each owner's first list pages as bytes (row-access collections only): see OwnerFirstPages. */
  readonly firstPages: OwnerFirstPages | undefined;
  /** When rows are hot for a while only (the projection's hotWindow): their arrivals, to drop them. */
  private readonly window: HotWindow | undefined;

  constructor(projection: CompiledProjection) {
    this.name = projection.collection;
    this.scope = projection.scope;
    this.scopeBit = AccessTokenVerifier.scopeBit(projection.scope);
    this.filterable = projection.filterable;
    this.indexes = projection.filterable.map(() => new Map());
    this.filterValues = projection.filterable.map((field) => {
      const compiled = projection.fields.find((f) => f.name === field);
      return { type: compiled?.valueType ?? 'text', items: compiled?.items };
    });
    const rule = projection.rowAccess;
    this.ownerField = rule?.field;
    this.rowAccess = rule && {
      claim: rule.claim,
      anyScope: rule.anyScope,
      anyScopeBit: rule.anyScope === undefined ? 0 : AccessTokenVerifier.scopeBit(rule.anyScope),
    };
    this.firstPages = rule && new OwnerFirstPages(OWNER_FIRST_PAGES_BYTES);
    this.window = projection.hotWindowMs === undefined ? undefined : new HotWindow(projection.hotWindowMs);
  }

  /**
   * Why `value` (query-string text) can never be a value of the filterable `field`: a filter compares it
   * with each record's value as JSON text, so `categoryId=abc` or `=03` matched nothing and answered an
   * empty page, which a client cannot tell from "no such products". Undefined when it can be one.
   */
  filterValueProblem(field: string, value: string): string | undefined {
    const { type, items } = this.filterValues[this.filterable.indexOf(field)] ?? {};
    if (items !== undefined && value !== 'null' && !items.includes(value))
      return `${field} is one of ${items.join(', ')} (or null): ${JSON.stringify(value)} is not one.`;
    if (value === 'null' || type === undefined || type === 'text') return undefined;
    if (
      type === 'integer'
        ? INTEGER_TEXT.test(value)
        : type === 'boolean'
          ? value === 'true' || value === 'false'
          : isNumberText(value)
    )
      return undefined;
    const wanted = type === 'integer' ? 'a whole number' : type === 'boolean' ? 'true or false' : 'a number';
    return `${field} must be ${wanted} (or null), written as its JSON value: ${JSON.stringify(value)} is not one.`;
  }

  /**
   * Whose rows `token` reads here: null for every row (a shared collection, or the lifting scope), the
   * token's owner key (read when it was verified), or undefined when it has none and so reads nothing.
   * A property read and a mask test: no allocation.
   */
  readsAs(token: VerifiedAccessToken): string | null | undefined {
    const rule = this.rowAccess;
    if (rule === undefined) return null;
    if (rule.anyScope !== undefined && AccessTokenVerifier.grants(token, rule.anyScope, rule.anyScopeBit))
      return null;
    return token.rowClaims[rule.claim];
  }

  /** How many owners have at least one row (0 in a shared collection). */
  get ownerCount(): number {
    return this.owners.size;
  }

  get size(): number {
    return this.records.size;
  }

  get(id: number): PreparedRecord | undefined {
    return id < DENSE_IDS ? this.byId[id] : this.records.get(id);
  }

  /**
   * A record read from the database rather than the feed (a row past the hot window), prepared as the
   * store prepares its own (bytes, ETag, owner) but not kept.
   */
  prepareDetached(id: number, json: string): PreparedRecord {
    return this.prepare(id, json, undefined);
  }

  private prepare(id: number, json: string, arenas: SnapshotArenas | undefined): PreparedRecord {
    const bytes = arenas ? arenas.records.copy(json) : exactBuffer(json);
    const tag = recordEtag(bytes);
    const etag = arenas ? arenas.etags.copy(tag) : exactBuffer(tag);
    let filterKeys: FilterKey[] = [];
    let owner: string | undefined;
    if (this.filterable.length > 0 || this.ownerField !== undefined) {
      const parsed = JSON.parse(json) as Record<string, unknown>;
      filterKeys = this.filterable.map((field) => filterKey(parsed[field]));
      if (this.ownerField !== undefined) owner = ownerKeyOf(parsed[this.ownerField]);
    }
    const slab = arenas && ByteArena.slabOf(bytes);
    const start = slab ? bytes.byteOffset - slab.byteOffset : 0;
    return { id, bytes, slab, start, end: start + bytes.length, etag, filterKeys, owner };
  }

  /**
   * Stores the record; returns the change to publish, or undefined when the bytes did not change.
   * With an arena (a snapshot), an unchanged record is still moved into it, so the previous
   * snapshot's slabs are released as a whole.
   */
  upsert(id: number, json: string, arenas?: SnapshotArenas): StoreChange | undefined {
    const previous = this.records.get(id);
    const record = this.prepare(id, json, arenas);
    const changed = previous === undefined || !previous.bytes.equals(record.bytes);
    if (!changed && !arenas) return undefined;
    if (previous) this.unindex(previous, record);
    this.sorted.set(record);
    this.records.set(id, record);
    if (id < DENSE_IDS) {
      this.byId[id] = record;
      // A hot window's rows come and go (writes: ids only grow), so they are not located.
      if (arenas && !this.window) this.located.set(record);
      else this.located.forget(id);
    }
    this.index(record, previous);
    this.window?.arrived(id, Date.now());
    if (!changed) return undefined;
    const movedFrom = previous !== undefined && previous.owner !== record.owner ? previous.owner : undefined;
    return { op: 'upsert', record, movedFrom };
  }

  /** Removes the record; returns the change to publish, or undefined when there was none. */
  delete(id: number): StoreChange | undefined {
    const previous = this.records.get(id);
    if (!previous) return undefined;
    this.records.delete(id);
    if (id < DENSE_IDS) {
      this.byId[id] = undefined;
      this.located.forget(id);
    }
    this.sorted.delete(id);
    this.unindex(previous);
    this.window?.left(id);
    return { op: 'delete', id, owner: previous.owner };
  }

  /**
   * Drops the rows held longer than the hot window (none without one). Not a change to publish: the
   * rows still exist, they are only no longer served from memory. Returns how many were dropped.
   */
  sweep(nowMs: number): number {
    if (!this.window) return 0;
    let dropped = 0;
    for (const id of this.window.expired(nowMs)) if (this.delete(id)) dropped++;
    return dropped;
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
    const arenas: SnapshotArenas = { records: new ByteArena(RECORD_SEPARATOR), etags: new ByteArena() };
    this.located.reset();
    for await (const rows of batches) {
      for (const row of rows) {
        seen?.add(row.id);
        const change = this.upsert(row.id, row.json, arenas);
        if (change) onChange(change);
      }
    }
    if (!seen) return;
    for (const id of [...this.records.keys()]) {
      const change = seen.has(id) ? undefined : this.delete(id);
      // With a hot window, a row the snapshot left out has most likely aged out, not been deleted:
      // dropped silently, as the sweep drops it.
      if (change && !this.window) onChange(change);
    }
  }

  /**
   * Up to `limit` records with id > `after` whose filterable fields equal the given values; with an
   * `owner`, only that owner's rows (a row-access collection read without the lifting scope). Without
   * an owner, the first filter walks that field's index; otherwise the owner's rows are walked. Further
   * filters are checked on the prepared record.
   */
  page(
    after: number | undefined,
    limit: number,
    filters: readonly { readonly field: string; readonly value: string }[] = [],
    owner?: string,
  ): Page {
    const mine = owner === undefined ? undefined : this.owners.get(owner);
    if (owner !== undefined && !mine) return EMPTY_PAGE;
    if (filters.length === 0) return keysetPage(mine ?? this.sorted, after, limit);
    const checks: FilterCheck[] = filters.map((f) => ({
      at: this.filterable.indexOf(f.field),
      value: queryFilterKey(f.value),
    }));
    if (checks.some((c) => c.at < 0)) return EMPTY_PAGE;
    const matches = (record: PreparedRecord) => checks.every((c) => record.filterKeys[c.at] === c.value);
    const items: PreparedRecord[] = [];
    if (mine) {
      const start = after === undefined ? 0 : mine.firstAfter(after);
      const end = Math.min(mine.length, start + MAX_ROWS_EXAMINED);
      let i = start;
      for (; i < end && items.length < limit; i++) {
        const record = mine.recordAt(i);
        if (matches(record)) items.push(record);
      }
      // Stopped by the limit or the budget: the next page starts after the last row looked at.
      return { items, next: i < mine.length && i > start ? mine.recordAt(i - 1).id : null };
    }
    const first = checks.shift()!;
    const ids = this.indexes[first.at]!.get(first.value);
    if (!ids) return EMPTY_PAGE;
    let examined = 0;
    let last = 0;
    const more = ids.forEachAfter(after ?? -Infinity, (id) => {
      const record = this.records.get(id)!;
      if (matches(record)) items.push(record);
      last = id;
      return items.length < limit && ++examined < MAX_ROWS_EXAMINED;
    });
    return { items, next: more ? last : null };
  }

  /**
   * Puts the record in the index of each of its filter values (except those `previous`, the version it
   * replaces, had too: it is there already) and in its owner's rows.
   */
  private index(record: PreparedRecord, previous?: PreparedRecord): void {
    record.filterKeys.forEach((key, i) => {
      if (previous?.filterKeys[i] === key) return;
      const index = this.indexes[i]!;
      let ids = index.get(key);
      if (!ids) index.set(key, (ids = new SortedIdBlocks()));
      ids.add(record.id);
    });
    if (record.owner === undefined) return;
    this.firstPages?.forget(record.owner);
    let mine = this.owners.get(record.owner);
    if (!mine) this.owners.set(record.owner, (mine = new SortedRecords()));
    mine.set(record);
  }

  /**
   * Takes the record out of the index of each of its filter values that `next`, its replacement, does
   * not share, and out of its owner's rows unless `next` has the same owner.
   */
  private unindex(record: PreparedRecord, next?: PreparedRecord): void {
    record.filterKeys.forEach((key, i) => {
      if (next?.filterKeys[i] === key) return;
      const index = this.indexes[i]!;
      const ids = index.get(key);
      if (!ids) return;
      ids.delete(record.id);
      if (ids.size === 0) index.delete(key);
    });
    // Same owner: `index` replaces the record in place (its owner's rows stay, no splice).
    if (record.owner === undefined || record.owner === next?.owner) return;
    this.firstPages?.forget(record.owner);
    const mine = this.owners.get(record.owner);
    if (!mine) return;
    mine.delete(record.id);
    if (mine.length === 0) this.owners.delete(record.owner);
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

  /** Drops every collection's rows held past its hot window (CollectionStore.sweep). */
  sweep(nowMs: number): number {
    let dropped = 0;
    for (const collection of this.collections.values()) dropped += collection.sweep(nowMs);
    return dropped;
  }
}
