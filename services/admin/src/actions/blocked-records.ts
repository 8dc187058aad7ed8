import { Filter, type ActionContext, type BaseRecord } from 'adminjs';
import { registry } from '@tandem/models';
import { OrmResource } from '../orm/resource.js';
import { can } from '../permissions.js';
import { blockingReferencesOfMany, type BlockingReference } from './references.js';

/** How many of the rows that use a record a bulk delete's drawer names ("#1001, #1002, #1003 and 9 more"). */
export const NAMED_REFERRERS = 3;

/** Rows of one model that use a record, with a link to them when the staff member may view them. */
export interface LinkedReference extends BlockingReference {
  readonly listUrl: string | null;
}

/** ...and the first few of them by name (none when the staff member may not view that model). */
export interface NamedReference extends LinkedReference {
  readonly names: readonly string[];
}

/** A selected record a bulk delete cannot delete, and what uses it. */
export interface BlockedRecord {
  readonly id: string;
  readonly title: string;
  readonly references: readonly NamedReference[];
}

const permissionModelOf = (model: string) => registry.find((entry) => entry.name === model)?.permissionModel;

/** The references, each with a link to the list of the referring rows when the staff member may view it. */
export function withLinks(
  references: readonly BlockingReference[],
  id: string,
  context: ActionContext,
): LinkedReference[] {
  return references.map((reference) => {
    const model = permissionModelOf(reference.model);
    const mayView = model ? can(context.currentAdmin, 'view', model) : false;
    const search = `?${new URLSearchParams({ [`filters.${reference.field}`]: id })}`;
    return {
      ...reference,
      listUrl: mayView ? context.h.resourceUrl({ resourceId: reference.model, search }) : null,
    };
  });
}

/** The first NAMED_REFERRERS rows (in key order) of `reference` that point at `id`, by their titles. */
async function referrerNames(
  reference: LinkedReference,
  id: string,
  context: ActionContext,
): Promise<string[]> {
  if (reference.listUrl === null) return [];
  const referring = context._admin.findResource(reference.model);
  const title = referring.decorate().titleProperty().name();
  const sortBy = referring instanceof OrmResource ? referring.meta.primaryKeys[0] : undefined;
  const rows = await referring.find(
    new Filter({ [reference.field]: id }, referring),
    { limit: NAMED_REFERRERS, offset: 0, sort: { sortBy, direction: 'asc' } },
    context,
  );
  // A model titled by its key (orders) reads "#1001", as the list's links do not say what the number is.
  return rows.map((row) => (title === sortBy ? `#${row.id()}` : String(row.get(title) ?? row.id())));
}

/**
 * Which of a bulk delete's selected records other rows still use, each with what uses it (count, the
 * first few by name, a link), so the drawer can say so before the delete is confirmed. One grouped
 * count per blocking field for the whole selection; names only for the records that are blocked.
 */
export async function blockedRecords(
  resource: OrmResource,
  records: readonly BaseRecord[],
  context: ActionContext,
): Promise<BlockedRecord[]> {
  const byId = await blockingReferencesOfMany(
    resource.orm,
    resource.id(),
    resource.spec.label,
    records.map((record) => resource.parseId(String(record.id())) ?? String(record.id())),
  );
  const title = context.resource.decorate().titleProperty().name();
  const blocked: BlockedRecord[] = [];
  for (const record of records) {
    const id = String(record.id());
    const found = byId.get(id);
    if (!found) continue;
    const references = await Promise.all(
      withLinks(found, id, context).map(async (reference) => ({
        ...reference,
        names: await referrerNames(reference, id, context),
      })),
    );
    blocked.push({ id, title: String(record.get(title) ?? id), references });
  }
  return blocked;
}
