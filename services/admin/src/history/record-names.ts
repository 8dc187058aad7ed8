import type { ActionContext } from 'adminjs';
import type { FieldDiff } from '@tandem/models';

/** The AdminJS instance an action runs in (it finds the other resources by id). */
export type AdminInstance = ActionContext['_admin'];

/** Names of related records by id, per field of a diff: `{ category: { "8": "Garden tools" } }`. */
export type ReferenceNames = Record<string, Record<string, string>>;

function resourceOrNull(admin: AdminInstance, resourceId: string) {
  try {
    return admin.findResource(resourceId);
  } catch {
    // A model without an admin page (or renamed since the entry was written): no names to give.
    return null;
  }
}

/** Whole-number ids (as text) in a value that holds one id, a list of ids, or nothing. */
function idsIn(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values
    .filter((item) => (typeof item === 'number' || typeof item === 'string') && String(item) !== '')
    .map(String);
}

/**
 * The names (title field, as the admin's lists show them) of some records of one resource, by id. Ids
 * of records that no longer exist are left out; the caller shows those as ids. One query per call.
 * Reusable wherever ids of records are shown to people (history, recent actions).
 */
export async function recordNames(
  admin: AdminInstance,
  resourceId: string,
  ids: readonly unknown[],
): Promise<Record<string, string>> {
  const resource = resourceOrNull(admin, resourceId);
  const wanted = [...new Set(ids.flatMap(idsIn))];
  if (!resource || wanted.length === 0) return {};
  const title = resource.decorate().titleProperty().name();
  const records = await resource.findMany(wanted);
  return Object.fromEntries(records.map((record) => [String(record.id()), String(record.get(title) ?? '')]));
}

/**
 * For the reference fields of `model` that appear in these diffs (a product's category, a user's
 * roles), the names of the records their before and after values point at: so history can say
 * "Garden tools → Kitchen" instead of "8 → 13".
 */
export async function referenceNames(
  admin: AdminInstance,
  model: string,
  diffs: readonly FieldDiff[],
): Promise<ReferenceNames> {
  const resource = resourceOrNull(admin, model);
  if (!resource) return {};
  const names: ReferenceNames = {};
  const fields = new Set(diffs.flatMap((diff) => Object.keys(diff)));
  for (const field of fields) {
    const target = resource.property(field)?.reference();
    if (!target) continue;
    const ids = diffs.flatMap((diff) => (diff[field] ? [diff[field].before, diff[field].after] : []));
    const found = await recordNames(admin, target, ids);
    if (Object.keys(found).length > 0) names[field] = found;
  }
  return names;
}
