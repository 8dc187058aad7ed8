import { ReferenceKind, type EntityMetadata } from '@mikro-orm/core';
import { fieldDiff } from '@tandem/models';
import { ExposedFields, auditSnapshot, mergePatch, ownerKeyOfValue, ownerValue } from './entity-fields.js';
import type { EntityManager, WriteContext, WriteEffect, WriteHandler } from './handler.js';
import { WriteRejected, recordNotFound } from './write-rejected.js';

type Row = Record<string, unknown>;

/**
 * Referenced records must exist: said next to the field (`categoryId: Choose an existing category.`)
 * rather than as a foreign-key failure, like the admin's forms.
 */
async function checkReferences(
  em: EntityManager,
  meta: EntityMetadata,
  data: Row,
  fields: ExposedFields,
): Promise<void> {
  const errors: Record<string, string> = {};
  for (const [property, value] of Object.entries(data)) {
    const prop = meta.properties[property];
    if (prop?.kind !== ReferenceKind.MANY_TO_ONE && prop?.kind !== ReferenceKind.ONE_TO_ONE) continue;
    if (value === null || value === undefined) continue;
    const found =
      typeof value === 'number' && Number.isSafeInteger(value) ? await em.findOne(prop.type, value) : null;
    if (found === null)
      errors[fields.fieldNameOf(property)] = `Choose an existing ${prop.type.toLowerCase()}.`;
  }
  if (Object.keys(errors).length > 0) throw new WriteRejected(422, errors);
}

/**
 * The record a write targets, if the writer may write it: it exists, the collection's row filter
 * serves it (a record the fast service does not show cannot be changed through it), and, for rows
 * with owners, it is the writer's. Otherwise the same 404 as a GET of a missing record.
 */
async function targetOf(context: WriteContext, meta: EntityMetadata): Promise<Row> {
  const { em, write, projection } = context;
  const id = Number(write.recordId);
  const entity = Number.isSafeInteger(id) ? await em.findOne<Row>(meta.className, id) : null;
  const visible =
    entity !== null &&
    Object.entries(projection.where ?? {}).every(([property, value]) => entity[property] === value);
  const rule = projection.rowAccess;
  const owned =
    rule === undefined || ownerKeyOfValue(entity?.[projection.fields[rule.field]!]) === write.ownerKey;
  if (entity === null || !visible || !owned) throw recordNotFound(projection.collection, write.recordId);
  return entity;
}

/**
 * Writes a collection's entity through the ORM, the way the admin does: exposed fields mapped to
 * properties, the model's validation hooks on flush (their ModelValidationError becomes a 422 with
 * field errors), the owner of a row-access collection taken from the token, never from the body.
 */
export const genericHandler: WriteHandler = {
  async apply(context: WriteContext): Promise<WriteEffect> {
    const { em, write, projection } = context;
    const meta = em.getMetadata().get(projection.entity);
    const fields = new ExposedFields(projection);
    const model = meta.className;
    switch (write.op) {
      case 'create': {
        const data = fields.toData(write.body ?? {}, projection.writes.create?.fields ?? []);
        await checkReferences(em, meta, data, fields);
        const owner = ownerValue(projection, write.ownerKey);
        if (projection.rowAccess) data[projection.fields[projection.rowAccess.field]!] = owner;
        const entity = em.create<Row>(model, data);
        await em.flush();
        const recordId = String(entity[meta.primaryKeys[0]!]);
        return {
          httpStatus: 201,
          recordId,
          action: 'create',
          model,
          diff: fieldDiff(null, auditSnapshot(meta, entity)),
        };
      }
      case 'update': {
        const entity = await targetOf(context, meta);
        const before = auditSnapshot(meta, entity);
        const patch = fields.toData(write.body ?? {}, projection.writes.update?.fields ?? []);
        await checkReferences(em, meta, patch, fields);
        const data: Row = {};
        for (const [property, value] of Object.entries(patch))
          data[property] =
            meta.properties[property]?.kind === ReferenceKind.SCALAR
              ? mergePatch(entity[property], value)
              : value;
        em.assign(entity, data);
        await em.flush();
        const diff = fieldDiff(before, auditSnapshot(meta, entity));
        return { httpStatus: 200, recordId: String(write.recordId), action: 'update', model, diff };
      }
      case 'delete': {
        const entity = await targetOf(context, meta);
        const before = auditSnapshot(meta, entity);
        em.remove(entity);
        await em.flush();
        return {
          httpStatus: 204,
          recordId: String(write.recordId),
          action: 'delete',
          model,
          diff: fieldDiff(before, null),
        };
      }
    }
  },
};
