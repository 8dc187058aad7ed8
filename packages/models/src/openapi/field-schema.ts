import type { EntityMetadata, EntityProperty } from '@mikro-orm/core';
import { TIME_OF_DAY, characterLimit, columnKind, isIntegerColumn } from '../column-limits.js';
import type { JsonSchema } from '../model.js';

/** A related entity's key type: hot collections key by integers, so a many-to-one exposes an id. */
function referenceSchema(prop: EntityProperty): JsonSchema {
  const target = prop.targetMeta;
  const key = target?.primaryKeys[0];
  const keyProp = key === undefined ? undefined : target?.properties[key];
  return {
    ...(keyProp ? scalarSchema(keyProp) : { type: 'integer' }),
    description: `Id of the related ${target?.className ?? prop.type}.`,
  };
}

function scalarSchema(prop: EntityProperty): JsonSchema {
  if (prop.enum && Array.isArray(prop.items) && prop.items.length > 0)
    return { type: typeof prop.items[0] === 'number' ? 'integer' : 'string', enum: [...prop.items] };
  switch (prop.runtimeType) {
    case 'number':
      return { type: isIntegerColumn(prop) ? 'integer' : 'number' };
    case 'bigint':
      return { type: 'integer' };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
      return { type: 'string', format: 'date-time' };
    case 'string': {
      const kind = columnKind(prop);
      if (kind === 'date') return { type: 'string', format: 'date' };
      // Served as HH:MM:SS on both databases; HH:MM is accepted when written. Not `format: time`,
      // which is RFC 3339's and requires a UTC offset.
      if (kind === 'time')
        return {
          type: 'string',
          pattern: TIME_OF_DAY.source,
          description: 'A time of day: served as HH:MM:SS, written as HH:MM or HH:MM:SS.',
        };
      if (kind === 'decimal')
        return {
          type: 'string',
          pattern: '^-?[0-9]+(\\.[0-9]+)?$',
          description: 'A decimal number, as a string.',
        };
      const limit = characterLimit(prop);
      return limit === undefined ? { type: 'string' } : { type: 'string', maxLength: limit };
    }
    default:
      // A JSON column: any JSON unless the declaration says more (its `schema`).
      return {};
  }
}

/**
 * `type: X` becomes `type: [X, "null"]`, and an enum gains null too: a value must match both, so an
 * enum without null would still refuse the null a nullable column serves (and a PATCH clears it with).
 * A schema without a type or an enum (any JSON) already admits null.
 */
function orNull(schema: JsonSchema): JsonSchema {
  const type = schema.type;
  const typed = typeof type === 'string' ? { ...schema, type: [type, 'null'] } : schema;
  return Array.isArray(schema.enum) ? { ...typed, enum: [...(schema.enum as unknown[]), null] } : typed;
}

/** The JSON Schema of one entity property as the fast service serves it (dates as ISO-8601 strings). */
export function propertySchema(meta: EntityMetadata, property: string): JsonSchema {
  const prop = meta.properties[property];
  if (!prop) throw new Error(`${meta.className} has no property ${property}`);
  const schema = prop.kind === 'scalar' ? scalarSchema(prop) : referenceSchema(prop);
  return prop.nullable ? orNull(schema) : schema;
}

/** An example value in its JSON form (a Date as the fast service writes it). */
export function exampleValue(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}
