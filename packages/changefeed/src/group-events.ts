import type { CompiledProjection } from './projection.js';

export interface OutboxEvent {
  readonly table: string;
  readonly recordId: string;
}

/** Distinct record ids per table: many events of one record need one re-read. */
export function groupEvents(events: readonly OutboxEvent[]): Map<string, Set<string>> {
  const byTable = new Map<string, Set<string>>();
  for (const event of events) {
    let ids = byTable.get(event.table);
    if (!ids) byTable.set(event.table, (ids = new Set()));
    ids.add(event.recordId);
  }
  return byTable;
}

/** Integer ids of a hot table's events (a non-integer record id cannot belong to a hot projection). */
export function integerIds(ids: Iterable<string>): number[] {
  const out: number[] = [];
  for (const id of ids) {
    const n = Number(id);
    if (Number.isSafeInteger(n)) out.push(n);
  }
  return out;
}

export function projectionsByTable(
  projections: readonly CompiledProjection[],
): Map<string, CompiledProjection[]> {
  const map = new Map<string, CompiledProjection[]>();
  for (const p of projections) map.set(p.table, [...(map.get(p.table) ?? []), p]);
  return map;
}

/** A deleted session's tokens are refused for this long (longer than any access-token TTL). */
export const DELETED_SESSION_REVOCATION_MS = 60 * 60 * 1000;
