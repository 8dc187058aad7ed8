import type { JsonSchema } from '../json-schema.js';

/**
 * The only values a field may hold: an ORM enum's items, or, for a string column kept as a string with
 * a CHECK (an order's status), the `enum` its hot declaration's schema states (the stored values are
 * held to it: declared-schemas.ts). Undefined for any other field. The admin offers them as choices and
 * filters; fast refuses a list filter outside them.
 */
export function fieldChoices(
  prop: { readonly enum?: boolean; readonly items?: readonly unknown[] },
  declared: JsonSchema | undefined,
): string[] | undefined {
  if (prop.enum && Array.isArray(prop.items)) return prop.items.map(String);
  const values = declared?.enum;
  return Array.isArray(values) && values.every((value) => typeof value === 'string')
    ? (values as string[])
    : undefined;
}
