import { flat, type ActionContext, type ActionRequest, type Before, type CurrentAdmin } from 'adminjs';
import type { Orm } from '@tandem/models';
import { scopesOfUsers } from '@tandem/tokens';
import { scalarListValues } from '../orm/form-values.js';
import { RequestRefused } from '../request-refused.js';

/**
 * The escalation guard for the account resources: a staff member who is not a superuser may give
 * (a role to a user, a permission or token scope to a role or client) only what they hold themselves.
 * Without it, change_user would be a way to every permission: assign yourself a role that holds them all. Django's admin does
 * not check this; it is the standard guard against privilege escalation through account management.
 */

/**
 * The token scopes `admin` holds through their own roles ('all' for a superuser). Scopes are power too:
 * a role or client carrying `orders:read:any` reads every customer's orders through the fast service,
 * whatever admin permissions it has. Read from the database, like every guard here, so a role changed
 * a moment ago counts; read once per request, however many roles or accounts it judges.
 */
export async function heldScopes(
  orm: Orm,
  admin: CurrentAdmin | undefined,
): Promise<ReadonlySet<string> | 'all'> {
  if (admin?.isSuperuser === true) return 'all';
  const id = Number(admin?.id);
  if (!Number.isSafeInteger(id)) return new Set();
  return (await scopesOfUsers(orm.em.fork(), [id])).get(id) ?? new Set();
}

/** The scopes in `wanted` that are not `held`. */
export function scopesNotHeld(held: ReadonlySet<string> | 'all', wanted: readonly string[]): string[] {
  return held === 'all' ? [] : [...new Set(wanted)].filter((scope) => !held.has(scope));
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

/** The ids of the records a record or bulk action runs on (the one record, or the selection). */
export function targetIds(context: ActionContext): number[] {
  const targets = context.records ?? (context.record ? [context.record] : []);
  return targets.map((record) => Number(record.id())).filter((id) => Number.isSafeInteger(id));
}

/** Whether the acting staff member may run the action at all (before-hooks run ahead of that check). */
export function mayRun(context: ActionContext): boolean {
  return context.action.isAccessible(context.currentAdmin, context.record);
}

/**
 * A before-hook for a model with a `scopes` list (a role: what its members' tokens may carry; a machine
 * client: what its own tokens may carry): a staff member who is not a superuser may add to it only
 * scopes their own roles grant them. Scopes already there may stay or go. Refused with 403 naming them.
 */
export function onlyScopesTheyHold(orm: Orm, noun: 'role' | 'client'): Before {
  return async (request, context) => {
    if (context.currentAdmin?.isSuperuser === true || !mayRun(context)) return request;
    const added = addedToList(request, context, 'scopes', scalarListValues);
    const missing =
      added.length === 0 ? [] : scopesNotHeld(await heldScopes(orm, context.currentAdmin), added);
    if (missing.length > 0)
      throw new RequestRefused(
        403,
        'scope_not_held',
        `You may only give a ${noun} token scopes your own roles grant you; you do not hold ${missing.join(', ')}.`,
      );
    return request;
  };
}
