import type { EntityManager } from '@mikro-orm/core';
import { AuditEntry, type FieldDiff } from '../entities/audit-entry.js';
import { User } from '../entities/user.js';

/**
 * Who made a change, as the audit log records it: a user (kept as a reference and as an email, so the
 * entry survives the user's deletion), or only a label for a caller that is no user (an API client's
 * `client:<id>`), or nobody known.
 */
export interface AuditActor {
  /** The user's id, or undefined when the actor is no user. */
  readonly id?: number;
  /** The user's email, or a machine caller's label. */
  readonly email: string;
}

/** A record's audited values, field by field (what `fieldDiff` compares). */
export type AuditSnapshot = Record<string, unknown>;

/** What a diff holds, or shows, in place of a value that is not to be read (a password, a name withheld). */
export const HIDDEN_VALUE = '(hidden)';

/** Values as they are stored in the diff JSON: dates as ISO strings, everything else as is. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  return value ?? null;
}

/**
 * Field-level diff between two snapshots. A create has no `before`, a delete no `after`; an update
 * lists only the fields whose value changed.
 */
export function fieldDiff(before: AuditSnapshot | null, after: AuditSnapshot | null): FieldDiff {
  const diff: FieldDiff = {};
  const fields = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const field of fields) {
    const old = before ? plain(before[field]) : null;
    const now = after ? plain(after[field]) : null;
    if (before && after && JSON.stringify(old) === JSON.stringify(now)) continue;
    diff[field] = { before: old, after: now };
  }
  return diff;
}

/**
 * Queues an audit entry in `em`'s unit of work. Callers run it inside the transaction that makes the
 * change (the admin's write, the applier's savepoint), so the entry is committed exactly when the
 * change is. Shared by every writer so the log reads the same whoever wrote.
 */
export function recordAudit(
  em: EntityManager,
  entry: {
    actor: AuditActor | undefined;
    action: string;
    model: string;
    recordId: string | number;
    diff: FieldDiff;
  },
): void {
  const userId = entry.actor?.id;
  em.create(AuditEntry, {
    actor: userId === undefined ? null : em.getReference(User, userId),
    actorEmail: entry.actor?.email ?? null,
    action: entry.action,
    model: entry.model,
    recordId: String(entry.recordId),
    diff: entry.diff,
  });
}

/**
 * Inserts many audit entries with one statement, in `em`'s transaction (the applier's bulk path: a run
 * of orders placed at once). The same entries recordAudit would queue one by one, for callers that
 * write their changes with multi-row statements rather than through the unit of work.
 */
export async function insertAuditEntries(
  em: EntityManager,
  entries: readonly {
    actor: AuditActor | undefined;
    action: string;
    model: string;
    recordId: string | number;
    diff: FieldDiff;
  }[],
): Promise<void> {
  if (entries.length === 0) return;
  // The ORM's onCreate, as a created entity would get it (SQLite stores datetimes as epoch ms).
  const createdAt = new Date();
  // The driver's multi-row INSERT directly: em.insertMany would first walk every row's values deeply
  // (looking for entities to turn into ids; these rows hold none, the actor is its id).
  await em.getDriver().nativeInsertMany(
    AuditEntry.meta.className,
    entries.map((entry) => ({
      actor: entry.actor?.id ?? null,
      actorEmail: entry.actor?.email ?? null,
      action: entry.action,
      model: entry.model,
      recordId: String(entry.recordId),
      diff: entry.diff,
      createdAt,
    })),
    { ctx: em.getTransactionContext() },
  );
}
