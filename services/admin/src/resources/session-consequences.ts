import type { EntityManager } from '@mikro-orm/core';
import { User } from '@tandem/models';
import {
  endUserSignIns,
  revokeSessionsBeyondRoleScopes,
  revokeUserSessions,
  type RevocationReason,
} from '@tandem/tokens';
import type { WriteChange } from '../orm/resource.js';

/**
 * What an account change means for the tokens already out there. Run as the user and role
 * resources' onWrite hook, inside the write's transaction: the revocation commits with the change or
 * not at all, and the change feed carries it to the fast service, which then refuses the sessions'
 * access tokens (they would otherwise keep working until they expire or are refreshed).
 */

/** OrmResource's transactions run on a fork of Orm['em'] (the SQL driver's manager), typed as the base class. */
type Em = Parameters<typeof revokeUserSessions>[0];
const orm = (em: EntityManager) => em as Em;

const ids = (value: unknown): number[] =>
  Array.isArray(value) ? value.map(Number).filter((id) => Number.isSafeInteger(id)) : [];
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/** Why every session of the user must end after this edit, if it must. */
function userRevocationReason(change: WriteChange): RevocationReason | undefined {
  const { before, after, data } = change;
  if (!before || !after) return undefined;
  if (before.isActive === true && after.isActive !== true) return 'user_inactive';
  if (data.passwordHash !== undefined) return 'password_changed';
  if (before.isStaff === true && after.isStaff !== true) return 'staff_removed';
  return undefined;
}

/**
 * A user deactivated, given a new password or stripped of the staff flag: all their sessions end. Made
 * staff: their sign-ins at the login page end (endUserSignIns). A
 * user who lost a role: the sessions holding a scope their remaining roles do not grant end. (A deleted
 * user's sessions are deleted with the row by the foreign key's cascade, in the same transaction; the
 * change feed reports a deleted session as revoked.)
 */
export async function endUserSessions(em: EntityManager, change: WriteChange): Promise<void> {
  if (change.mode !== 'update') return;
  const userId = Number(change.id);
  const reason = userRevocationReason(change);
  if (reason) {
    await revokeUserSessions(orm(em), userId, reason);
    return;
  }
  // Made staff: a browser signed in with a password alone must sign in again, with the second factor
  // staff need when TWO_FACTOR_REQUIRED_FOR_STAFF is on, before its next code (its tokens go on).
  if (change.before?.isStaff !== true && change.after?.isStaff === true)
    await endUserSignIns(orm(em), userId);
  const kept = new Set(ids(change.after?.roles));
  if (ids(change.before?.roles).some((role) => !kept.has(role)))
    await revokeSessionsBeyondRoleScopes(orm(em), [userId], 'role_changed');
}

/**
 * A role lost a scope (or was deleted): its members' sessions holding a scope that none of their
 * remaining roles grant end; their other sessions go on.
 */
export async function endRoleMemberSessions(em: EntityManager, change: WriteChange): Promise<void> {
  if (change.mode === 'create') return;
  const roleId = Number(change.id);
  const kept = new Set(strings(change.after?.scopes));
  if (change.mode === 'update' && !strings(change.before?.scopes).some((scope) => !kept.has(scope))) return;
  const members = await em.find(User, { roles: roleId }, { fields: ['id'] });
  await revokeSessionsBeyondRoleScopes(
    orm(em),
    members.map((member) => member.id),
    'role_changed',
    change.mode === 'delete' ? { ignoringRole: roleId } : {},
  );
}
