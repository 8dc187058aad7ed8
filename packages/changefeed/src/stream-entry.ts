import type { ChangeBatch } from './types.js';

/**
 * One Redis Stream entry = one relay batch: every change between two outbox positions. The entry id is
 * the batch's end position (`<to>-0`), so ids grow with the outbox, a consumer resumes with
 * `XREAD ... <its position>-0`, and two relays that read the same range write the same id: Redis
 * refuses the second write (idempotent by position). `from` lets a consumer prove there is no gap.
 */
export interface StreamEntry {
  /** Position this batch starts at: the previous entry's `to` as the relay wrote it. */
  readonly from: string;
  /** Position this batch ends at (the outbox position after applying it). */
  readonly to: string;
  readonly batch: ChangeBatch;
}

export function streamId(position: string): string {
  return `${position}-0`;
}

export function positionOf(id: string): string {
  return id.slice(0, id.indexOf('-'));
}

export function encodeEntry(from: string, batch: ChangeBatch): string[] {
  return [
    'from',
    from,
    'batch',
    JSON.stringify({ changes: batch.changes, sessions: batch.sessions, events: batch.events }),
  ];
}

export function decodeEntry(id: string, fields: readonly string[]): StreamEntry {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const from = map.get('from');
  const batch = map.get('batch');
  if (from === undefined || batch === undefined) throw new Error(`malformed change stream entry ${id}`);
  return { from, to: positionOf(id), batch: JSON.parse(batch) as ChangeBatch };
}

/** Positions are unsigned 64-bit integers (event ids on SQLite, transaction ids on PostgreSQL). */
export function comparePositions(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
