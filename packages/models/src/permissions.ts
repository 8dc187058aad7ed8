/**
 * Django's four model permissions. A role lists codenames such as `change_product`; superusers bypass
 * the check entirely. The admin enforces these on the server for every action. Which models have
 * them follows from the registry (registry.ts: PERMISSION_MODELS, ALL_PERMISSION_CODENAMES).
 */
export const PERMISSION_ACTIONS = ['view', 'add', 'change', 'delete'] as const;
export type PermissionAction = (typeof PERMISSION_ACTIONS)[number];

/** A model's codename suffix: its entity name in lower case, as Django does ("auditentry"). */
export type PermissionModel = string;

export function permissionCodename(action: PermissionAction, model: PermissionModel): string {
  return `${action}_${model}`;
}

/**
 * The codenames that exist, filled in by the registry as it loads. The Role model checks a role's
 * codenames against them, and Role is itself listed in the registry: importing the registry's list
 * from role.ts would be an import circle.
 */
const knownCodenames = new Set<string>();

export function registerPermissionCodenames(codenames: Iterable<string>): void {
  for (const codename of codenames) knownCodenames.add(codename);
}

export function isKnownPermissionCodename(codename: string): boolean {
  return knownCodenames.has(codename);
}

/**
 * Permissions on no model, as Django declares custom ones in a model's `Meta.permissions`: codename →
 * what it lets a staff member do. Roles list them like the model codenames; superusers hold them all.
 */
export const SITE_PERMISSIONS = {
  view_metrics:
    'See the live service metrics on the admin dashboard (request rates, latency, feed lag, tokens).',
} as const;
export type SitePermission = keyof typeof SITE_PERMISSIONS;
