import type { EntityMetadata, EntityProperty } from '@mikro-orm/core';
import type { HotProjection } from '../hot/projections.js';
import type { JsonSchema } from '../model.js';
import { integerRange } from '../column-limits.js';
import { propertySchema } from './field-schema.js';
import { WITHOUT_NUL, isFreeString, nestedStringsWithoutNul } from './nested-strings.js';

/** The JSON Schemas a write's body must satisfy: POST's and PATCH's (a DELETE has no body). */
export interface WriteBodySchemas {
  readonly create?: JsonSchema;
  readonly update?: JsonSchema;
}

/** Finds an entity's metadata after discovery: `(name) => orm.getMetadata().find(name)`. */
type MetadataFinder = (entityName: string) => EntityMetadata | undefined;

/** A related record's key property (a many-to-one's value is the related id). */
function keyOf(prop: EntityProperty): EntityProperty | undefined {
  const target = prop.targetMeta;
  const key = target?.primaryKeys[0];
  return key === undefined ? undefined : target?.properties[key];
}

const typesOf = (schema: JsonSchema): unknown[] =>
  Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type];

/**
 * What the metadata says a written value may be, beyond the read schema: integers within the column's
 * range (ids from 1), strings without NUL (PostgreSQL text cannot hold one).
 *
 * A string the read schema already gives a pattern (a decimal's digits, a time of day) keeps it: a
 * second `pattern` would replace it, and a body of "abc" for a decimal was then queued and only
 * refused by the applier. Those patterns match whole strings of digits, signs and colons, so they
 * refuse a NUL already.
 */
function storableRange(prop: EntityProperty, schema: JsonSchema): JsonSchema {
  const types = typesOf(schema);
  if (prop.kind === 'm:1' || prop.kind === '1:1')
    return types.includes('integer') ? { ...integerRange(keyOf(prop)), minimum: 1 } : {};
  if (types.includes('integer')) return { ...integerRange(prop) };
  if (isFreeString(schema)) return { pattern: WITHOUT_NUL };
  return {};
}

/** One writable field: the metadata's type, the read declaration's keywords, then the write's. */
function fieldSchema(projection: HotProjection, meta: EntityMetadata, field: string): JsonSchema {
  const property = projection.fields[field]!;
  const prop = meta.properties[property];
  if (!prop) throw new Error(`${meta.className} has no property ${property}`);
  const base = propertySchema(meta, property);
  const schema: JsonSchema = {
    ...base,
    ...storableRange(prop, base),
    ...projection.schema?.[field],
    ...projection.writes?.schema?.[field],
  };
  // A JSON column without a declared type admits any JSON, null included; a NOT NULL column must not.
  if (!prop.nullable && schema.type === undefined && schema.enum === undefined && schema.const === undefined)
    return { ...schema, not: { type: 'null' } };
  return schema;
}

function objectSchema(
  projection: HotProjection,
  meta: EntityMetadata,
  fields: readonly string[],
  description: string,
): {
  type: 'object';
  description: string;
  properties: Record<string, JsonSchema>;
  additionalProperties: false;
} {
  return {
    type: 'object',
    description,
    properties: Object.fromEntries(
      fields.map((field) => [field, nestedStringsWithoutNul(fieldSchema(projection, meta, field))]),
    ),
    additionalProperties: false,
  };
}

/**
 * The JSON Schemas (2020-12 keywords that draft-07 validators read alike) of a collection's write
 * bodies, from its `writes` declaration and the ORM metadata: the fast service validates bodies
 * against them at the edge (bad input is answered at once and never queued) and the OpenAPI document
 * shows them as the request bodies, so the two cannot disagree.
 *
 * - create (POST): the declared fields only (`additionalProperties: false`), `required` as declared;
 *   types, nullability, enums, maximum lengths and integer ranges from the metadata, the hot
 *   declaration's `schema` keywords, then the write declaration's `schema` over them.
 * - update (PATCH, JSON Merge Patch): the same per field, nothing required but at least one field;
 *   `null` (which a merge patch uses to clear a member) only for nullable columns.
 *
 * Neither holds the row owner field: `checkHotProjections` refuses a declaration that lists it.
 */
export function writeBodySchemas(projection: HotProjection, metadata: MetadataFinder): WriteBodySchemas {
  const writes = projection.writes;
  if (!writes) return {};
  const meta = metadata(projection.entity);
  if (!meta) throw new Error(`the ORM metadata has no entity ${projection.entity}`);
  const create = writes.create
    ? {
        ...objectSchema(
          projection,
          meta,
          writes.create.fields,
          `A new ${projection.entity} for \`${projection.collection}\` (POST body).`,
        ),
        ...(writes.create.required && writes.create.required.length > 0
          ? { required: [...writes.create.required] }
          : {}),
      }
    : undefined;
  const update = writes.update
    ? {
        ...objectSchema(
          projection,
          meta,
          writes.update.fields,
          `A JSON Merge Patch (RFC 7396) of a ${projection.entity} in \`${projection.collection}\` (PATCH body): the fields to change.`,
        ),
        minProperties: 1,
      }
    : undefined;
  return { ...(create && { create }), ...(update && { update }) };
}
