import { revocationSource } from '@tandem/models';
import { DELETED_SESSION_TOKENS_MS } from './deleted-sessions.js';
import type { CompiledProjection } from './projection.js';
import type { RecordChange, RecordRow, SessionState } from './types.js';

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

/**
 * The state of every changed session, from the rows still there: a session that no longer exists counts
 * as revoked (its tokens must stop working too). Shared by both database sources.
 */
export function sessionStates(sids: readonly string[], found: readonly SessionState[]): SessionState[] {
  const states: SessionState[] = [...found];
  const seen = new Set(found.map((r) => r.sid));
  for (const sid of sids)
    if (!seen.has(sid))
      // Its tokens were issued before now, so they end within the window from now.
      states.push({ sid, revoked: true, keepUntilMs: Date.now() + DELETED_SESSION_TOKENS_MS });
  return states;
}

/** The current state of every changed record: a row that is gone (or filtered out) is a deletion. */
export function recordChanges(
  collection: string,
  ids: readonly number[],
  found: readonly { id: number; json: string }[],
): RecordChange[] {
  const present = new Map(found.map((r) => [r.id, r.json]));
  return ids.map((id) => ({ collection, id, json: present.get(id) ?? null }));
}

/** How one database reads back the rows a batch of outbox events names (its own SQL, same meaning). */
export interface ChangedRows {
  /** The sessions among `sids` that still exist. */
  sessions(sids: readonly string[]): Promise<readonly SessionState[]>;
  /** The rows among `ids` that `projection` still serves (its re-read query). */
  records(projection: CompiledProjection, ids: readonly number[]): Promise<readonly RecordRow[]>;
}

/**
 * The current state of everything a batch of outbox events names: each changed session and, for each
 * hot projection of a changed table, each changed record. Shared by both database sources.
 */
export async function resolveEvents(
  events: readonly OutboxEvent[],
  byTable: ReadonlyMap<string, readonly CompiledProjection[]>,
  rows: ChangedRows,
): Promise<{ changes: RecordChange[]; sessions: SessionState[] }> {
  const changes: RecordChange[] = [];
  const sessions: SessionState[] = [];
  // Appended one by one: push(...list) passes each element as an argument, and past ~125,000 (one
  // transaction touching that many rows) the call overflows the stack, on every re-read of the batch.
  for (const [table, idSet] of groupEvents(events)) {
    if (table === revocationSource.table) {
      const sids = [...idSet];
      for (const state of sessionStates(sids, await rows.sessions(sids))) sessions.push(state);
      continue;
    }
    const ids = integerIds(idSet);
    for (const p of byTable.get(table) ?? [])
      for (const change of recordChanges(p.collection, ids, await rows.records(p, ids))) changes.push(change);
  }
  return { changes, sessions };
}
