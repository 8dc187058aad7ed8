import { RECORD_SEPARATOR } from '../data/prepared-record.js';
import type { Page } from '../data/store.js';

const ITEMS_OPEN = Buffer.from('{"items":[');

/**
 * One response buffer reused by every list request: assembling a page is then a few memcpys, with no
 * allocation of a ~100 KB buffer per request for the garbage collector to chase. uWebSockets.js copies
 * the body during `res.end`, so the contract is: send the returned bytes before the next `listBody` call
 * (synchronously, which the request pipeline guarantees).
 */
let scratch = Buffer.allocUnsafe(256 * 1024);

function reserve(at: number, more: number): void {
  if (at + more <= scratch.length) return;
  const larger = Buffer.allocUnsafe(2 ** Math.ceil(Math.log2(at + more)));
  scratch.copy(larger, 0, 0, at);
  scratch = larger;
}

/**
 * A list response assembled from prepared record bytes: no serialization of records per request.
 * Each of the page's runs (records lying one after another in a snapshot slab, commas included) is
 * copied as one range: a typical page is one memcpy, not one per record.
 */
export function listBody(page: Page): Buffer {
  const { items, runs } = page;
  const tail = page.next === null ? '],"next":null}' : `],"next":"${page.next}"}`;
  reserve(0, ITEMS_OPEN.length);
  scratch.set(ITEMS_OPEN, 0);
  let at = ITEMS_OPEN.length;
  const count = runs ? runs.length : items.length;
  for (let r = 0; r < count; r++) {
    const from = runs ? runs[r]! : r;
    const to = runs ? (runs[r + 1] ?? items.length) : r + 1;
    const first = items[from]!;
    const last = items[to - 1]!;
    // A run of several records lies in one slab (follows); a single record may have a buffer of its own.
    const length = last.end - first.start;
    reserve(at, length + 1);
    if (r > 0) scratch[at++] = RECORD_SEPARATOR;
    if (to - from === 1) scratch.set(first.bytes, at);
    else first.slab!.copy(scratch, at, first.start, last.end);
    at += length;
  }
  reserve(at, tail.length);
  at += scratch.write(tail, at, 'latin1');
  return scratch.subarray(0, at);
}
