import { flat } from 'adminjs';

/**
 * What an edit page showed. Its record carries, as this one param, the value every field had when the
 * page was opened, and the form sends it back with the save. The save then writes only the fields
 * the staff member changed, and refuses only where someone else changed the same field meanwhile: a
 * product that sells while its description is being edited keeps the stock it sold, instead of the
 * whole save being refused because the row moved (a hot product could never be saved) or the form's
 * old stock being written over the sales.
 *
 * The param comes from the browser and grants nothing: it only decides which of the fields the staff
 * member may write anyway are left alone. A forged one can at worst make a save overwrite a change
 * made meanwhile, as saving after a reload would.
 */
export const SHOWN_PARAM = '$shown';

/** Field name → the field's value as it was shown, in canonical text. */
export type ShownValues = Readonly<Record<string, string>>;

/** One comparable text for a form value and a stored value (the form sends everything as text). */
export function canonical(value: unknown): string {
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

/** The SHOWN_PARAM value for a record's (flattened) params: every field but the param itself. */
export function shownParam(params: Record<string, unknown>): string {
  const record = flat.unflatten(params) as Record<string, unknown>;
  const shown: Record<string, string> = {};
  for (const [field, value] of Object.entries(record))
    if (field !== SHOWN_PARAM) shown[field] = canonical(value);
  return JSON.stringify(shown);
}

/** The values a form says it showed; undefined when it sent none; null when what it sent is not one. */
export function parseShown(value: unknown): ShownValues | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const entries = Object.entries(parsed);
  if (!entries.every(([, text]) => typeof text === 'string')) return null;
  // A null-prototype copy: a field named `__proto__` or `constructor` is only ever a field here.
  return Object.assign(Object.create(null) as Record<string, string>, Object.fromEntries(entries));
}

/** A field both the form and someone else changed since the page was opened, to different values. */
export interface FieldConflict {
  readonly shown: string;
  readonly current: string;
  readonly submitted: string;
}

export interface ShownMerge {
  /** Submitted as shown: the staff member left them alone, so they are not written. */
  readonly untouched: string[];
  readonly conflicts: Record<string, FieldConflict>;
}

/**
 * Compares each submitted field with what the page showed and what is stored now. Untouched fields
 * are not written (a change made meanwhile stands); a changed field conflicts only when the stored
 * value moved too, to another value than the submitted one. A field the page did not show is written.
 */
export function mergeWithShown(
  submitted: Readonly<Record<string, unknown>>,
  shown: ShownValues,
  current: Readonly<Record<string, unknown>>,
): ShownMerge {
  const untouched: string[] = [];
  const conflicts: Record<string, FieldConflict> = {};
  for (const [field, value] of Object.entries(submitted)) {
    const was = Object.hasOwn(shown, field) ? shown[field] : undefined;
    if (was === undefined) continue;
    const text = canonical(value);
    if (text === was) {
      untouched.push(field);
      continue;
    }
    const now = canonical(current[field]);
    if (now !== was && now !== text) conflicts[field] = { shown: was, current: now, submitted: text };
  }
  return { untouched, conflicts };
}
