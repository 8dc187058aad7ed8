import type { ActionContext, CurrentAdmin } from 'adminjs';
import {
  permissionCodename,
  type PermissionAction,
  type PermissionModel,
  type SitePermission,
} from '@tandem/models';

/**
 * The staff member behind a request, as the session holds it. Reloaded from the database on every
 * request (see auth.ts), so revoking a permission or deactivating a user takes effect at once.
 */
export interface StaffMember extends CurrentAdmin {
  id: string;
  email: string;
  title: string;
  isSuperuser: boolean;
  permissions: string[];
}

export function can(
  admin: CurrentAdmin | undefined,
  action: PermissionAction,
  model: PermissionModel,
): boolean {
  return holdsCodename(admin, permissionCodename(action, model));
}

/** Whether the staff member holds a permission on no model (e.g. `view_metrics`); superusers hold all. */
export function holds(admin: CurrentAdmin | undefined, codename: SitePermission): boolean {
  return holdsCodename(admin, codename);
}

function holdsCodename(admin: CurrentAdmin | undefined, codename: string): boolean {
  if (!admin) return false;
  if (admin.isSuperuser === true) return true;
  const permissions: unknown = admin.permissions;
  return Array.isArray(permissions) && permissions.includes(codename);
}

/** An AdminJS `isAccessible` function for one Django permission. */
export function requires(
  action: PermissionAction,
  model: PermissionModel,
): (context: ActionContext) => boolean {
  return ({ currentAdmin }) => can(currentAdmin, action, model);
}

/**
 * Which permission each built-in and Tandem action needs, Django style. Every action a resource has
 * must appear here: `guardActions` refuses (not allows) anything unlisted.
 */
export const ACTION_PERMISSIONS: Readonly<Record<string, PermissionAction>> = {
  list: 'view',
  show: 'view',
  search: 'view',
  export: 'view',
  // Counting and progress only; each bulk action run on all matching rows checks its own permission.
  allMatching: 'view',
  // The names behind the list's reference filters; each name also needs the referenced model's search.
  filterTitles: 'view',
  new: 'add',
  edit: 'change',
  publish: 'change',
  unpublish: 'change',
  revoke: 'change',
  deactivate: 'change',
  activate: 'change',
  delete: 'delete',
  bulkDelete: 'delete',
};

/**
 * `isAccessible` for every action of a resource: it hides the buttons AND makes AdminJS refuse a
 * direct request to the action (ForbiddenError), which is how the server enforces permissions.
 */
export function guardActions(
  model: PermissionModel,
  actionNames: readonly string[],
): Record<string, { isAccessible: (context: ActionContext) => boolean }> {
  return Object.fromEntries(
    actionNames.map((name) => {
      const needed = ACTION_PERMISSIONS[name];
      return [name, { isAccessible: needed ? requires(needed, model) : () => false }];
    }),
  );
}
