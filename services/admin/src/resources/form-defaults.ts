import type { PropertyOptions } from 'adminjs';
import type { OrmResource } from '../orm/resource.js';

/** A column default as the form holds it (SQLite metadata gives booleans as 1/'true'). */
function formValue(type: string, fallback: unknown): boolean | number | undefined {
  if (type === 'boolean')
    return fallback === true || fallback === 1 || fallback === 'true' || fallback === '1';
  if (type === 'number' && Number.isFinite(Number(fallback))) return Number(fallback);
  return undefined;
}

/**
 * The column defaults of a resource's editable booleans and numbers, as `custom.defaultValue` for the
 * new-record form (components/SaveForm.jsx): without them a new user's "Is Active" box showed unticked
 * although saving the form untouched creates an active user.
 */
export function formDefaults(resource: OrmResource): Record<string, PropertyOptions> {
  const options: Record<string, PropertyOptions> = {};
  for (const property of resource.properties()) {
    const fallback = property.meta.default;
    if (!property.isEditable() || fallback === undefined || fallback === null) continue;
    const value = formValue(property.type(), fallback);
    if (value !== undefined) options[property.path()] = { custom: { defaultValue: value } };
  }
  return options;
}

/** Per-property options with `extra` put over `base` (their `custom` objects merged, not replaced). */
export function mergeProperties(
  base: Record<string, PropertyOptions>,
  extra: Record<string, PropertyOptions> = {},
): Record<string, PropertyOptions> {
  const merged = { ...base };
  for (const [name, options] of Object.entries(extra))
    merged[name] = { ...merged[name], ...options, custom: { ...merged[name]?.custom, ...options.custom } };
  return merged;
}
