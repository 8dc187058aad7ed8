/**
 * How a form's values become what a record stores, in one place: the resource's write (toData) and
 * the escalation guards (resources/grant-only-held.ts) must read a request the same way, or a value a
 * guard passes over (" delete_user", `true` in a JSON body) is stored as one it would have refused.
 */

/** A list field's values as sent: one value, none, or several (`roles=3`, `roles.0=3`, `roles=[3]`). */
export function formList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === null || value === '' ? [] : [value];
}

/** A list of scalars (a role's permissions) as stored: each item as trimmed text, empty ones dropped. */
export function scalarListValues(value: unknown): string[] {
  return formList(value)
    .map((item) => String(item).trim())
    .filter((item) => item !== '');
}

/**
 * A reference's id as stored: a whole number, sent as a number or as decimal digits. Anything else
 * (`true`, an object, `1e2`, `0x1`) is NaN, which the resource reports as "Choose an existing …".
 */
export function referenceId(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\s*[0-9]{1,15}\s*$/.test(value)) return Number(value);
  return Number.NaN;
}

/** A list of references (a user's roles) as stored. */
export function referenceIds(value: unknown): number[] {
  return formList(value).map(referenceId);
}
