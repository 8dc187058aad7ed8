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
  return next.slab !== undefined && next.slab === previous.slab && next.start === previous.end + 1;
}

/** Up to this many holes are closed by a splice each, more by one pass over the records. */
const SPLICE_HOLES_MAX = 4;

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
 *
 * A delete leaves a hole (its slot's record undefined) that the next read closes: splicing three
 * arrays per delete cost ~1.1 ms at 1,000,000 records, so a bulk delete of 10,000 products held the
 * event loop for ~11 s. The feed applies a batch of changes before any request reads, so a batch of
 * deletes pays once: a splice per hole while there are at most SPLICE_HOLES_MAX, else one pass over
 * every record (~5.5 ms at 1,000,000), whichever is less.
 */
export class SortedRecords {
  private readonly ids: number[] = [];
  private readonly records: (PreparedRecord | undefined)[] = [];
  /** adjacent[i] is 1 when records[i] follows records[i - 1] in memory (see `follows`). */
  private readonly adjacent: number[] = [];
  /** How many slots of `records` are holes left by deletes (see `settle`). */
  private holes = 0;
  /** The ids deleted since the last `settle` (a revived one is skipped there). */
  private readonly holeIds: number[] = [];

  get length(): number {
    this.settle();
    return this.ids.length;
  }

  /** Index of the first record with an id greater than `after`. */
  firstAfter(after: number): number {
    this.settle();
    return firstAfter(this.ids, after);
  }

  idAt(index: number): number {
    this.settle();
    return this.ids[index]!;
  }

  recordAt(index: number): PreparedRecord {
    this.settle();
    return this.records[index]!;
  }

  /** Inserts the record, or replaces the one with its id. */
  set(record: PreparedRecord): void {
    let at = firstAfter(this.ids, record.id - 1);
    if (this.ids[at] === record.id) {
      if (this.records[at] === undefined) this.holes -= 1;
      this.records[at] = record;
    } else {
      // A snapshot arrives in id order, so while one loads this is a push at the end.
      if (at < this.ids.length && this.holes > 0) {
        this.settle();
        at = firstAfter(this.ids, record.id - 1);
      }
      this.ids.splice(at, 0, record.id);
      this.records.splice(at, 0, record);
      this.adjacent.splice(at, 0, 0);
    }
    this.relink(at);
    this.relink(at + 1);
  }

  delete(id: number): void {
    const at = firstAfter(this.ids, id - 1);
    if (this.ids[at] !== id || this.records[at] === undefined) return;
    this.records[at] = undefined;
    this.holes += 1;
    this.holeIds.push(id);
  }

  slice(start: number, end: number): RecordSlice {
    this.settle();
    const runs = end > start ? [0] : [];
    for (let i = start + 1; i < end; i++) if (this.adjacent[i] === 0) runs.push(i - start);
    return { items: this.records.slice(start, end) as PreparedRecord[], runs };
  }

  /** A hole's neighbour is not linked to it: `settle` links the records a closed hole brings together. */
  private relink(index: number): void {
    const record = this.records[index];
    if (record === undefined) return;
    const previous = index > 0 ? this.records[index - 1] : undefined;
    this.adjacent[index] = previous !== undefined && follows(previous, record) ? 1 : 0;
  }

  /** Closes every hole, re-linking each record that a closed hole leaves after a new neighbour. */
  private settle(): void {
    // Every read passes here: with no delete since the last one, a length read and nothing else (setting
    // an array's length is a call into V8's runtime; doing it on each read cost a list page ~0.2 µs).
    if (this.holeIds.length === 0) return;
    if (this.holes > SPLICE_HOLES_MAX) this.compact();
    else if (this.holes > 0) this.spliceHoles();
    this.holes = 0;
    this.holeIds.length = 0;
  }

  /** A splice per hole, highest id first (each moves only what follows it). */
  private spliceHoles(): void {
    const { ids, records, adjacent } = this;
    for (const id of this.holeIds.sort((a, b) => b - a)) {
      const at = firstAfter(ids, id - 1);
      if (ids[at] !== id || records[at] !== undefined) continue;
      ids.splice(at, 1);
      records.splice(at, 1);
      adjacent.splice(at, 1);
      this.relink(at);
    }
  }

  /** One pass over every record, moving each kept one down over the holes before it. */
  private compact(): void {
    const { ids, records, adjacent } = this;
    let kept = 0;
    let afterHole = false;
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      if (record === undefined) {
        afterHole = true;
        continue;
      }
      ids[kept] = ids[i]!;
      records[kept] = record;
      adjacent[kept] = !afterHole ? adjacent[i]! : kept > 0 && follows(records[kept - 1]!, record) ? 1 : 0;
      afterHole = false;
      kept += 1;
    }
    ids.length = kept;
    records.length = kept;
    adjacent.length = kept;
  }
}
