import type { ActionContext, CurrentAdmin } from 'adminjs';
import { HIDDEN_VALUE, type FieldDiff } from '@tandem/models';
import { OrmResource } from '../orm/resource.js';

/** The AdminJS instance an action runs in (it finds the other resources by id). */
export type AdminInstance = ActionContext['_admin'];

/**
 * Names of related records by id, per field of a diff: `{ category: { "8": "Garden tools" } }`. A null
 * name is a record the staff member may not be told the name of (the page shows its id alone); an id
 * left out is a record that no longer exists.
 */
export type ReferenceNames = Record<string, Record<string, string | null>>;

function resourceOrNull(admin: AdminInstance, resourceId: string) {
  try {
    return admin.findResource(resourceId);
  } catch {
    // A model without an admin page (or renamed since the entry was written): no names to give.
    return null;
  }
}

/**
 * Whether the staff member may be told the names of `resourceId`'s records: when they may run its
 * search, which answers ids and names (view it, or pick its records in a form they may fill: the
 * reference pickers' rule, resources/picker-search.ts). So no page names a record the picker would not.
 */
export function mayName(
  admin: AdminInstance,
  resourceId: string,
  currentAdmin: CurrentAdmin | undefined,
): boolean {
  return resourceOrNull(admin, resourceId)?.decorate().actions.search?.isAccessible(currentAdmin) ?? false;
}

/**
 * `diff` as staff who may not be told the names of `resourceId`'s records may see it: the values of
 * the fields that name a record (its title and the fields its search looks in, e.g. a user's email)
 * withheld, the rest as stored. Every value is withheld for a model without an admin page.
 */
export function diffWithoutNames(admin: AdminInstance, resourceId: string, diff: FieldDiff): FieldDiff {
  const resource = resourceOrNull(admin, resourceId);
  const naming = new Set(
    resource === null
      ? Object.keys(diff)
      : [
          resource.decorate().titleProperty().name(),
          ...(resource instanceof OrmResource ? resource.spec.searchFields : []),
        ],
  );
  return Object.fromEntries(
    Object.entries(diff).map(([field, change]) => [
      field,
      naming.has(field)
        ? {
            before: change.before === null ? null : HIDDEN_VALUE,
            after: change.after === null ? null : HIDDEN_VALUE,
          }
        : change,
    ]),
  );
}

/** Whole-number ids (as text) in a value that holds one id, a list of ids, or nothing. */
function idsIn(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values
    .filter((item) => (typeof item === 'number' || typeof item === 'string') && String(item) !== '')
    .map(String);
}

/**
 * The names (title field, as the admin's lists show them) of some records of one resource, by id, for
 * `currentAdmin`: none at all unless they may be told them (mayName). Ids of records that no longer
 * exist are left out; the caller shows those as ids. One query per call. Reusable wherever ids of
 * records are shown to people (history, filter chips, recent actions).
 */
export async function recordNames(
  admin: AdminInstance,
  resourceId: string,
  ids: readonly unknown[],
  currentAdmin: CurrentAdmin | undefined,
): Promise<Record<string, string>> {
  const resource = resourceOrNull(admin, resourceId);
  const wanted = [...new Set(ids.flatMap(idsIn))];
  if (!resource || wanted.length === 0 || !mayName(admin, resourceId, currentAdmin)) return {};
  const title = resource.decorate().titleProperty().name();
  const records = await resource.findMany(wanted);
  return Object.fromEntries(records.map((record) => [String(record.id()), String(record.get(title) ?? '')]));
}

/**
 * For the reference fields of `model` that appear in these diffs (a product's category, a user's
 * roles), the names of the records their before and after values point at: so history can say
 * "Garden tools → Kitchen" instead of "8 → 13". Only names `currentAdmin` may be told (mayName): a
 * view_order-only staff member sees an order's former owners as ids, not emails.
 */
export async function referenceNames(
  admin: AdminInstance,
  model: string,
  diffs: readonly FieldDiff[],
  currentAdmin: CurrentAdmin | undefined,
): Promise<ReferenceNames> {
  const resource = resourceOrNull(admin, model);
  if (!resource) return {};
  const names: ReferenceNames = {};
  const fields = new Set(diffs.flatMap((diff) => Object.keys(diff)));
  for (const field of fields) {
    const target = resource.property(field)?.reference();
    if (!target) continue;
    const ids = diffs.flatMap((diff) => (diff[field] ? [diff[field].before, diff[field].after] : []));
    if (!mayName(admin, target, currentAdmin)) {
      // Marked as withheld, so the page shows "#8" rather than calling the record deleted.
      const withheld = Object.fromEntries(ids.flatMap(idsIn).map((id) => [id, null]));
      if (Object.keys(withheld).length > 0) names[field] = withheld;
      continue;
    }
    const found = await recordNames(admin, target, ids, currentAdmin);
    if (Object.keys(found).length > 0) names[field] = found;
  }
  return names;
}
