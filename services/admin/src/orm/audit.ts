import type { ActionContext } from 'adminjs';
import type { AuditSnapshot } from '@tandem/models';

// The audit log is written by the admin and by the write path's applier (packages/writes) alike: one
// diff and one entry shape, kept in @tandem/models.
export { fieldDiff, recordAudit } from '@tandem/models';

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

export type Snapshot = AuditSnapshot;
