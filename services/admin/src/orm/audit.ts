import type { ActionContext } from 'adminjs';
import type { EntityManager } from '@mikro-orm/core';
import { AuditEntry, User, type FieldDiff } from '@tandem/models';

/** Who made a change, as the admin session knows them. */
export interface Actor {
  readonly id: number;
  readonly email: string;
}

/** The signed-in admin of an action as an audit actor; none when the session holds no numeric user id. */
export function actorOf(context: ActionContext | undefined): Actor | undefined {
  const admin = context?.currentAdmin;
  const id = Number(admin?.id);
  return admin && Number.isSafeInteger(id) ? { id, email: String(admin.email) } : undefined;
}

export type Snapshot = Record<string, unknown>;

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
export function fieldDiff(before: Snapshot | null, after: Snapshot | null): FieldDiff {
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
 * change, so the entry is committed exactly when the change is.
 */
export function recordAudit(
  em: EntityManager,
  entry: {
    actor: Actor | undefined;
    action: string;
    model: string;
    recordId: string | number;
    diff: FieldDiff;
  },
): void {
  em.create(AuditEntry, {
    actor: entry.actor ? em.getReference(User, entry.actor.id) : null,
    actorEmail: entry.actor?.email ?? null,
    action: entry.action,
    model: entry.model,
    recordId: String(entry.recordId),
    diff: entry.diff,
  });
}
