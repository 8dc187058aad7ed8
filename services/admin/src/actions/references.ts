import { ReferenceKind, raw, type EntityMetadata, type FilterQuery } from '@mikro-orm/core';
import { registry, type Orm } from '@tandem/models';
import { humanize, plural } from '../labels.js';

/** Rows of one model that point at a record and keep it from being deleted. */
export interface BlockingReference {
  /** The referring model, e.g. "Product". */
  readonly model: string;
  /** Its field that points at the record, e.g. "category". */
  readonly field: string;
  readonly count: number;
  /** "12 products use this category." */
  readonly message: string;
}

/** Foreign keys that the database lets a delete cascade or clear; any other rule refuses the delete. */
const LETS_DELETE = new Set(['cascade', 'set null', 'set default']);

/** The many-to-one (and one-to-one owner) fields of every entity that point at `target` and block its delete. */
export function blockingFields(orm: Orm, target: string): Array<{ meta: EntityMetadata; field: string }> {
  const fields: Array<{ meta: EntityMetadata; field: string }> = [];
  for (const meta of Object.values(orm.getMetadata().getAll())) {
    // A many-to-many's join rows (a user's roles) go with either side: MikroORM creates their foreign
    // keys with ON DELETE CASCADE, though its metadata states no delete rule for them.
    if (meta.pivotTable) continue;
    for (const prop of meta.props) {
      const owner =
        prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner);
      if (owner && prop.type === target && !LETS_DELETE.has(String(prop.deleteRule ?? 'no action')))
        fields.push({ meta, field: prop.name });
    }
  }
  return fields;
}

function noun(model: string, count: number): string {
  const declared = registry.find((entry) => entry.name === model)?.admin?.label;
  const one = humanize(model).toLowerCase();
  if (count === 1) return one;
  return (declared ?? plural(humanize(model))).toLowerCase();
}

/** "12 products use this category." */
function referenceMessage(model: string, count: number, label: string): string {
  const verb = count === 1 ? 'uses' : 'use';
  return `${count.toLocaleString('en')} ${noun(model, count)} ${verb} this ${label}.`;
}

/**
 * What still refers to the record `id` of `target` so that deleting it would fail: "12 products use
 * this category." Said before the staff member is asked to confirm, instead of a failure after it.
 */
export async function blockingReferences(
  orm: Orm,
  target: string,
  label: string,
  id: unknown,
): Promise<BlockingReference[]> {
  const em = orm.em.fork();
  const found: BlockingReference[] = [];
  for (const { meta, field } of blockingFields(orm, target)) {
    const count = await em.count(meta.className, { [field]: id } as FilterQuery<object>);
    if (count === 0) continue;
    found.push({
      model: meta.className,
      field,
      count,
      message: referenceMessage(meta.className, count, label),
    });
  }
  return found;
}

/**
 * blockingReferences for several records of `target` at once (a bulk delete's selection), by id as
 * text; records nothing blocks are left out. One grouped count per blocking field, whatever the
 * number of records.
 */
export async function blockingReferencesOfMany(
  orm: Orm,
  target: string,
  label: string,
  ids: readonly (string | number)[],
): Promise<Map<string, BlockingReference[]>> {
  const found = new Map<string, BlockingReference[]>();
  if (ids.length === 0) return found;
  const em = orm.em.fork();
  for (const { meta, field } of blockingFields(orm, target)) {
    const column = meta.properties[field]!.fieldNames[0]!;
    const rows = await em
      .createQueryBuilder<object>(meta.className)
      .select([field, raw('count(*) as n')])
      .where({ [field]: { $in: [...ids] } } as FilterQuery<object>)
      .groupBy(field)
      .execute<Array<Record<string, unknown>>>('all', false);
    for (const row of rows) {
      // PostgreSQL returns count(*) as a bigint string.
      const count = Number(row.n);
      if (!(count > 0)) continue;
      const id = String(row[column]);
      const reference = {
        model: meta.className,
        field,
        count,
        message: referenceMessage(meta.className, count, label),
      };
      found.set(id, [...(found.get(id) ?? []), reference]);
    }
  }
  return found;
}
