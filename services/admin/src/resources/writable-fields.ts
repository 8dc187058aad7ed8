import { flat, type BaseRecord, type Before } from 'adminjs';
import type { OrmResource } from '../orm/resource.js';
import { canonical, parseShown, SHOWN_PARAM } from '../orm/shown-values.js';
import { prototypeKey } from '../prototype-keys.js';
import { RequestRefused } from '../request-refused.js';

/** The field a flattened form key belongs to: `tags.0` → `tags`, `isSuperuser.a.b` → `isSuperuser`. */
export function rootOf(key: string): string {
  return key.split('.')[0]!;
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
  if (!isScalar(value)) return `"${field}" must be a single value, not a list or an object.`;
  // AdminJS turns a boolean field's text into Boolean(text): "maybe" and "0" were stored as true.
  if (property?.type() === 'boolean' && !BOOLEAN_TEXTS.has(value))
    return `"${field}" must be true or false (got ${JSON.stringify(value)}).`;
  return undefined;
}

/** What a boolean field may be sent as: its checkbox sends "true" or "false"; "" and null are false. */
const BOOLEAN_TEXTS: ReadonlySet<unknown> = new Set([true, false, 'true', 'false', '', null]);

/**
 * The allow-list every create and edit form passes first. Only `writable` fields (the ones the form
 * shows) are kept. The edit page sends the whole record back, so a field outside the list is let
 * through only when it repeats the stored value, or the one the page showed (and is then dropped);
 * any other value, any unknown field, and any field not shaped like its type (`price.0=1`,
 * `name.a=x`) is refused with 400. The check runs on the unflattened form, as the resource will see
 * it, so `isSuperuser.0=true` is `isSuperuser`.
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
    const shown = stored === undefined ? undefined : parseShown(data[SHOWN_PARAM]);
    if (shown === null)
      throw new RequestRefused(
        400,
        'invalid_field',
        `"${SHOWN_PARAM}" must be sent back as the edit page gave it (a JSON object of texts).`,
      );
    for (const [field, value] of Object.entries(data)) {
      if (writable.has(field)) {
        const problem = shapeProblem(resource, field, value);
        if (problem) throw new RequestRefused(400, 'invalid_field', problem);
        continue;
      }
      if (field === SHOWN_PARAM && shown !== undefined) continue;
      // Echoed as stored, or as the page showed it (changed since: the save leaves it alone anyway).
      const text = canonical(value);
      const echoed =
        stored !== undefined &&
        (text === canonical(stored.get(field)) || (shown !== undefined && text === shown[field]));
      if (echoed || (stored === undefined && text === '' && resource.property(field))) continue;
      throw new RequestRefused(
        400,
        'forbidden_field',
        `"${field}" cannot be written here (writable: ${[...writable].join(', ') || 'nothing'}). ` +
          'If the record changed meanwhile, reload the page.',
      );
    }
    // What the page showed goes on, for the resource to merge with under the row's lock (shown-values.ts);
    // from a form without it, the version the form was opened at: the resource refuses the save when
    // the row has changed since (OrmResource.versionField).
    const kept = Object.fromEntries(
      Object.entries(payload).filter(
        ([key]) => writable.has(rootOf(key)) || key === resource.versionField || key === SHOWN_PARAM,
      ),
    );
    return { ...request, payload: kept };
  };
}
