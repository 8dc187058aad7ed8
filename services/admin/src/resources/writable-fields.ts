import { flat, type BaseRecord, type Before } from 'adminjs';
import type { OrmResource } from '../orm/resource.js';
import { prototypeKey } from '../prototype-keys.js';
import { RequestRefused } from '../request-refused.js';

/** The field a flattened form key belongs to: `tags.0` → `tags`, `isSuperuser.a.b` → `isSuperuser`. */
export function rootOf(key: string): string {
  return key.split('.')[0]!;
}

/** One comparable text for a form value and a stored value (the form sends everything as text). */
function canonical(value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return JSON.stringify(value.map(canonical));
  if (typeof value === 'object')
    return JSON.stringify(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, canonical(item)]),
    );
  return String(value);
}

const isScalar = (value: unknown) => value === null || ['string', 'number', 'boolean'].includes(typeof value);

/** Why a value cannot go into this field, judged on the unflattened value; undefined when it can. */
function shapeProblem(resource: OrmResource, field: string, value: unknown): string | undefined {
  const property = resource.property(field);
  if (property?.isArray()) {
    // A list arrives as `tags.0`, `tags.1` (an array), as one value, or empty.
    if (isScalar(value)) return undefined;
    if (Array.isArray(value) && value.every(isScalar)) return undefined;
    return `"${field}" must be a list of values.`;
  }
  return isScalar(value) ? undefined : `"${field}" must be a single value, not a list or an object.`;
}

/**
 * The allow-list every create and edit form passes first. Only `writable` fields (the ones the form
 * shows) are kept. The edit page sends the whole record back, so a field outside the list is let
 * through only when it repeats the stored value (and is then dropped); any other value, any unknown
 * field, and any field not shaped like its type (`price.0=1`, `name.a=x`) is refused with 400. The check
 * runs on the unflattened form, as the resource will see it, so `isSuperuser.0=true` is `isSuperuser`.
 */
export function onlyWritableFields(resource: OrmResource, writable: ReadonlySet<string>): Before {
  return async (request, context) => {
    if (!request.payload) return request;
    // Before-hooks run ahead of AdminJS's access check: let a refused action stay a plain 403.
    if (!context.action.isAccessible(context.currentAdmin, context.record)) return request;
    const payload = request.payload as Record<string, unknown>;
    const forbidden = prototypeKey(Object.keys(payload));
    if (forbidden !== undefined)
      throw new RequestRefused(400, 'forbidden_key', `The form key "${forbidden}" is not allowed.`);
    const data = flat.unflatten(payload) as Record<string, unknown>;
    const stored: BaseRecord | undefined = context.record;
    for (const [field, value] of Object.entries(data)) {
      if (writable.has(field)) {
        const problem = shapeProblem(resource, field, value);
        if (problem) throw new RequestRefused(400, 'invalid_field', problem);
        continue;
      }
      const echoed = stored !== undefined && canonical(value) === canonical(stored.get(field));
      if (echoed || (stored === undefined && canonical(value) === '' && resource.property(field))) continue;
      throw new RequestRefused(
        400,
        'forbidden_field',
        `"${field}" cannot be written here (writable: ${[...writable].join(', ') || 'nothing'}). ` +
          'If the record changed meanwhile, reload the page.',
      );
    }
    // The version the form was opened at goes on (it echoed the stored one): the resource checks it
    // again under the row's lock, against a change made after this check (OrmResource.versionField).
    const kept = Object.fromEntries(
      Object.entries(payload).filter(([key]) => writable.has(rootOf(key)) || key === resource.versionField),
    );
    return { ...request, payload: kept };
  };
}
