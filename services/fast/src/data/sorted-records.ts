import type { PreparedRecord } from './prepared-record.js';

/** Index of the first id greater than `after` in an ascending list. */
export function firstAfter(ids: readonly number[], after: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * True when `next`'s bytes start one byte after `previous`'s end, in the same slab. Only a snapshot's
 * record arena puts two records' bytes in one slab, and it writes a comma after each (ByteArena with
 * a separator), so that byte is a comma: the two records, with what lies between them, are a valid
 * fragment of a JSON array.
 */
export function follows(previous: PreparedRecord, next: PreparedRecord): boolean {
  const a = previous.bytes;
  const b = next.bytes;
  return b.buffer === a.buffer && b.byteOffset === a.byteOffset + a.length + 1;
}

/** Records [start, end) of a collection in id order, with where their contiguous byte ranges begin. */
export interface RecordSlice {
  readonly items: readonly PreparedRecord[];
  /** Indexes into `items` at which a contiguous range of bytes begins (the first is 0). */
  readonly runs: readonly number[];
}

/**
 * A collection's records in id order, for keyset pages. Which neighbours lie next to each other in
 * memory is worked out when a record changes, so a page request reads a flag per record instead of
 * two cold Buffer objects per record.
 */
export class SortedRecords {
  private readonly ids: number[] = [];
  private readonly records: PreparedRecord[] = [];
  /** adjacent[i] is 1 when records[i] follows records[i - 1] in memory (see `follows`). */
  private readonly adjacent: number[] = [];

  get length(): number {
    return this.ids.length;
  }

  /** Index of the first record with an id greater than `after`. */
  firstAfter(after: number): number {
    return firstAfter(this.ids, after);
  }

  idAt(index: number): number {
    return this.ids[index]!;
  }

  recordAt(index: number): PreparedRecord {
    return this.records[index]!;
  }

  /** Inserts the record, or replaces the one with its id. */
  set(record: PreparedRecord): void {
    const at = firstAfter(this.ids, record.id - 1);
    if (this.ids[at] === record.id) {
      this.records[at] = record;
    } else {
      // A snapshot arrives in id order, so while one loads this is a push at the end.
      this.ids.splice(at, 0, record.id);
      this.records.splice(at, 0, record);
      this.adjacent.splice(at, 0, 0);
    }
    this.relink(at);
    this.relink(at + 1);
  }

  delete(id: number): void {
    const at = firstAfter(this.ids, id - 1);
    if (this.ids[at] !== id) return;
    this.ids.splice(at, 1);
    this.records.splice(at, 1);
    this.adjacent.splice(at, 1);
    this.relink(at);
  }

  slice(start: number, end: number): RecordSlice {
    const runs = end > start ? [0] : [];
    for (let i = start + 1; i < end; i++) if (this.adjacent[i] === 0) runs.push(i - start);
    return { items: this.records.slice(start, end), runs };
  }

  private relink(index: number): void {
    if (index >= this.records.length) return;
    this.adjacent[index] = index > 0 && follows(this.records[index - 1]!, this.records[index]!) ? 1 : 0;
  }
}
