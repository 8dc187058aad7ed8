/**
 * Django's four model permissions. A role lists codenames such as `change_product`; superusers bypass
 * the check entirely. The admin enforces these on the server for every action.
 */
export const PERMISSION_ACTIONS = ['view', 'add', 'change', 'delete'] as const;
export type PermissionAction = (typeof PERMISSION_ACTIONS)[number];

/** Models that have admin permissions, by codename suffix. Auth issue models are appended here. */
export const PERMISSION_MODELS = [
  'user',
  'role',
  'category',
  'product',
  'auditentry',
  'session',
  'signingkey',
  'client',
] as const;
export type PermissionModel = (typeof PERMISSION_MODELS)[number];

export function permissionCodename(action: PermissionAction, model: PermissionModel): string {
  return `${action}_${model}`;
}

export const ALL_PERMISSION_CODENAMES: readonly string[] = PERMISSION_MODELS.flatMap((model) =>
  PERMISSION_ACTIONS.map((action) => permissionCodename(action, model)),
);
