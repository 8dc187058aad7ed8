import { flat, type ActionContext, type ActionRequest, type CurrentAdmin } from 'adminjs';
import type { Orm } from '@tandem/models';
import { scopesOfUsers } from '@tandem/tokens';

/**
 * The escalation guard for the account resources: a staff member who is not a superuser may give
 * (a role to a user, a permission or token scope to a role) only what they hold themselves. Without it, change_user
 * would be a way to every permission: assign yourself a role that holds them all. Django's admin does
 * not check this; it is the standard guard against privilege escalation through account management.
 */

/**
 * The token scopes in `wanted` that `admin` does not hold through their own roles (none for a
 * superuser). Scopes are power too: a role or client carrying `orders:read:any` reads every customer's
 * orders through the fast service, whatever admin permissions it has. Read from the database, like
 * every guard here, so a role changed a moment ago counts.
 */
export async function scopesNotHeld(
  orm: Orm,
  admin: CurrentAdmin | undefined,
  wanted: readonly string[],
): Promise<string[]> {
  if (admin?.isSuperuser === true || wanted.length === 0) return [];
  const id = Number(admin?.id);
  const held = Number.isSafeInteger(id) ? (await scopesOfUsers(orm.em.fork(), [id])).get(id) : undefined;
  return [...new Set(wanted)].filter((scope) => !held?.has(scope));
}

/** The codenames in `wanted` that `admin` does not hold (none for a superuser). */
export function permissionsNotHeld(admin: CurrentAdmin | undefined, wanted: readonly string[]): string[] {
  if (admin?.isSuperuser === true) return [];
  const held: unknown = admin?.permissions;
  const holds = new Set(Array.isArray(held) ? held.filter((item) => typeof item === 'string') : []);
  return [...new Set(wanted)].filter((codename) => !holds.has(codename));
}

/**
 * The values a form asks to put into a list field that it does not hold yet, judged on the
 * unflattened form (`roles.0=3`, `roles=3` and `roles=[3]` are the same request), or [] when the form
 * leaves the field alone. `asStored` is the conversion the resource's write applies (orm/form-values.ts),
 * so the guard judges exactly what would be stored: " delete_user" is delete_user, `true` no role.
 */
export function addedToList<T extends string | number>(
  request: ActionRequest,
  context: ActionContext,
  field: string,
  asStored: (value: unknown) => T[],
): T[] {
  if (!request.payload) return [];
  const data = flat.unflatten(request.payload) as Record<string, unknown>;
  if (!(field in data)) return [];
  const stored = new Set(asStored(context.record?.get(field)).map(String));
  return asStored(data[field]).filter((value) => !stored.has(String(value)));
}

/** Whether the acting staff member may run the action at all (before-hooks run ahead of that check). */
export function mayRun(context: ActionContext): boolean {
  return context.action.isAccessible(context.currentAdmin, context.record);
}
