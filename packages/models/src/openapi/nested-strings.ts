import type { JsonSchema } from '../model.js';

/** A string without the NUL character, which PostgreSQL text, json and jsonb cannot hold. */
export const WITHOUT_NUL = '^[^\\u0000]*$';

/** Keywords whose schemas are of values nested in this one (an array's items, an object's members). */
const NESTED_SCHEMA = ['items', 'additionalProperties'] as const;
const NESTED_SCHEMA_LIST = ['prefixItems'] as const;
const NESTED_SCHEMA_MAP = ['properties', 'patternProperties'] as const;
/** Keywords whose schemas are of this same value (its branches). */
const BRANCHES = ['allOf', 'anyOf', 'oneOf'] as const;

const isSchema = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A string its schema leaves free: not already held to a pattern, a format or listed values. Those
 * refuse a NUL already (or would be replaced by a second `pattern`): only a free string gets WITHOUT_NUL.
 */
export const isFreeString = (schema: JsonSchema): boolean =>
  (schema.type === 'string' || (Array.isArray(schema.type) && schema.type.includes('string'))) &&
  ['pattern', 'format', 'enum', 'const'].every((keyword) => schema[keyword] === undefined);

/**
 * `schema` with the strings it describes inside an array or an object (an array's `items`, an object's
 * `properties`...) refusing the NUL character: fast answers such a body 422 at the edge instead of
 * queueing a write the database refuses (the audit diff is jsonb: a NUL anywhere in a JSON value failed
 * the whole change on PostgreSQL). The top-level value is left as it is (write-schemas' storableRange
 * says what a top-level string takes). A nested string held to its own pattern, format or values, and
 * JSON the declaration does not describe, are left alone: StorableValues still refuses their NUL
 * characters before any SQL when the write is applied.
 */
export function nestedStringsWithoutNul(schema: JsonSchema): JsonSchema {
  return walk(schema, false);
}

function walk(schema: JsonSchema, nested: boolean): JsonSchema {
  const result: Record<string, unknown> = { ...schema };
  const inner = (member: unknown) => (isSchema(member) ? walk(member, true) : member);
  for (const keyword of NESTED_SCHEMA) {
    const member = schema[keyword];
    if (isSchema(member)) result[keyword] = walk(member, true);
  }
  for (const keyword of NESTED_SCHEMA_LIST) {
    const list = schema[keyword];
    if (Array.isArray(list)) result[keyword] = list.map(inner);
  }
  for (const keyword of NESTED_SCHEMA_MAP) {
    const map = schema[keyword];
    if (isSchema(map))
      result[keyword] = Object.fromEntries(
        Object.entries(map).map(([name, member]) => [name, inner(member)]),
      );
  }
  for (const keyword of BRANCHES) {
    const list = schema[keyword];
    if (Array.isArray(list))
      result[keyword] = list.map((branch) => (isSchema(branch) ? walk(branch, nested) : branch));
  }
  return nested && isFreeString(schema) ? { ...result, pattern: WITHOUT_NUL } : result;
}
