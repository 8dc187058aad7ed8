import { ByteArena } from './byte-arena.js';
import type { PreparedRecord } from './prepared-record.js';

/** Per id: body slab (+1; 0 = not located), body start, body end, ETag slab (+1), ETag start, end. */
const CELLS = 6;

/**
 * Where each record of a snapshot lies in its slabs, as numbers in one typed array indexed by id, and
 * its owner key in a plain array: what a record GET needs without reading the record's object.
 *
 * Why: with ids at random among 10,000 records, each object a GET touched (the record, its body's
 * Buffer, its ETag's Buffer, each in its own place in V8's heap) was a cache miss the bare ceiling
 * never takes. Answering from these numbers through two fresh views cost ~0.8 µs less CPU per record
 * GET, in a throwaway uWebSockets.js probe and in the bench (e2e/bench/notes.md, 2026-12-06). The
 * cells of 10,000 ids are 240 KB, read one line per request.
 *
 * Only records whose bytes and ETag a snapshot put in its arenas are located; a record prepared since
 * (a change from the feed, with buffers of its own) is not, and is answered from its object as before.
 * A slab is held here only while a located record lies in it (counted per slab), so a slab whose
 * records all changed or went is let go as it was before these locations existed.
 */
export class SlabLocations {
  /** By slab number - 1; undefined once no located record lies in it (numbers are not reused). */
  private slabs: (ArrayBuffer | undefined)[] = [];
  /** By slab number - 1: how many located records have their body or ETag in it. */
  private located: number[] = [];
  private readonly slabNumbers = new Map<ArrayBuffer, number>();
  private cells = new Int32Array(0);
  private readonly owners: (string | undefined)[] = [];

  /** Forgets every location: until each record is located again, GETs read its object. */
  reset(): void {
    this.slabs = [];
    this.located = [];
    this.slabNumbers.clear();
    this.cells.fill(0);
    this.owners.length = 0;
  }

  /** Locates `record` (at `id`, a dense id) when its bytes and ETag lie in arena slabs; else forgets `id`. */
  set(record: PreparedRecord): void {
    const etagSlab = ByteArena.slabOf(record.etag);
    this.forget(record.id);
    if (record.slab === undefined || etagSlab === undefined) return;
    const at = this.cellsOf(record.id);
    const { cells } = this;
    cells[at] = this.take(record.slab.buffer as ArrayBuffer);
    cells[at + 1] = record.bytes.byteOffset;
    cells[at + 2] = record.bytes.byteOffset + record.bytes.length;
    cells[at + 3] = this.take(etagSlab.buffer as ArrayBuffer);
    cells[at + 4] = record.etag.byteOffset;
    cells[at + 5] = record.etag.byteOffset + record.etag.length;
    // Only rows with an owner are written: in a shared collection the array stays empty (not a slot
    // of undefined per id, 8 MB at 1,000,000 products).
    if (record.owner !== undefined) this.owners[record.id] = record.owner;
  }

  forget(id: number): void {
    if (!this.has(id)) return;
    const at = id * CELLS;
    this.release(this.cells[at]!);
    this.release(this.cells[at + 3]!);
    this.cells[at] = 0;
    if (id < this.owners.length) this.owners[id] = undefined;
  }

  /** Whether `id` is located: its bytes, ETag and owner may be read here. */
  has(id: number): boolean {
    const at = id * CELLS;
    return at < this.cells.length && this.cells[at] !== 0;
  }

  /** The record's bytes, as a view of its slab. Only for an id that `has` located. */
  bytes(id: number): Uint8Array {
    const { cells } = this;
    const at = id * CELLS;
    return new Uint8Array(this.slabs[cells[at]! - 1]!, cells[at + 1], cells[at + 2]! - cells[at + 1]!);
  }

  /** The record's quoted entity tag, as a view of its slab. Only for an id that `has` located. */
  etag(id: number): Uint8Array {
    const { cells } = this;
    const at = id * CELLS;
    return new Uint8Array(this.slabs[cells[at + 3]! - 1]!, cells[at + 4], cells[at + 5]! - cells[at + 4]!);
  }

  /** The record's owner key (PreparedRecord.owner). Only for an id that `has` located. */
  owner(id: number): string | undefined {
    return this.owners[id];
  }

  /** How many slabs a located record lies in (they are held here). */
  get slabsHeld(): number {
    return this.slabNumbers.size;
  }

  private cellsOf(id: number): number {
    const at = id * CELLS;
    // All of the id's cells must fit: a typed array drops writes past its end without a word.
    if (at + CELLS > this.cells.length) {
      const larger = new Int32Array(Math.max(1024 * CELLS, Math.ceil((at + CELLS) * 1.5)));
      larger.set(this.cells);
      this.cells = larger;
    }
    return at;
  }

  /** The slab's number, counting one more located record in it. */
  private take(slab: ArrayBuffer): number {
    let number = this.slabNumbers.get(slab);
    if (number === undefined) {
      number = this.slabs.push(slab);
      this.located.push(0);
      this.slabNumbers.set(slab, number);
    }
    this.located[number - 1] = this.located[number - 1]! + 1;
    return number;
  }

  /** Counts one located record fewer in slab `number`; the last one lets the slab go. */
  private release(number: number): void {
    const count = this.located[number - 1]! - 1;
    this.located[number - 1] = count;
    if (count > 0) return;
    this.slabNumbers.delete(this.slabs[number - 1]!);
    this.slabs[number - 1] = undefined;
  }
}
