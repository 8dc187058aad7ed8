import type { JsonSchema } from '@tandem/models';

const literal = (value: unknown) =>
  typeof value === 'string' ? `'${value.replace(/'/g, "\\'")}'` : String(value);
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** A property key as TypeScript needs it: bare when it is an identifier, quoted otherwise. */
export const propertyKey = (name: string) => (IDENTIFIER.test(name) ? name : `'${name}'`);

const parenthesized = (type: string) => (type.includes(' | ') ? `(${type})` : type);

function objectType(schema: JsonSchema): string {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return '{ [key: string]: JsonValue }';
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const members = Object.entries(properties).map(
    ([name, property]) => `${propertyKey(name)}${required.has(name) ? '' : '?'}: ${typeScriptType(property)}`,
  );
  return `{ ${members.join('; ')} }`;
}

/**
 * The TypeScript type of a JSON Schema, for the subset the OpenAPI generator writes: type (or a list
 * of types with "null"), enum, items, properties. A schema that says nothing (a JSON column without a
 * declared shape) is any JSON value.
 */
export function typeScriptType(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map(literal).join(' | ');
  if (schema.const !== undefined) return literal(schema.const);
  const types = Array.isArray(schema.type)
    ? (schema.type as string[])
    : schema.type
      ? [schema.type as string]
      : [];
  if (types.length === 0) return 'JsonValue';
  return types
    .map((type) => {
      switch (type) {
        case 'string':
        case 'boolean':
        case 'null':
          return type;
        case 'integer':
        case 'number':
          return 'number';
        case 'array':
          return schema.items
            ? `${parenthesized(typeScriptType(schema.items as JsonSchema))}[]`
            : 'JsonValue[]';
        case 'object':
          return objectType(schema);
        default:
          return 'JsonValue';
      }
    })
    .join(' | ');
}

/** What a reader should know that the type does not say: the description, format and bounds. */
export function schemaComment(schema: JsonSchema): string | undefined {
  const notes: string[] = [];
  if (typeof schema.description === 'string') notes.push(schema.description);
  if (schema.format === 'date-time') notes.push('ISO 8601 date-time in UTC, e.g. 2026-12-01T09:30:00.000Z.');
  if (schema.format === 'date') notes.push('A calendar date, YYYY-MM-DD, e.g. 2026-12-01.');
  if (typeof schema.maxLength === 'number') notes.push(`At most ${schema.maxLength} characters.`);
  if (typeof schema.minimum === 'number') notes.push(`At least ${schema.minimum}.`);
  if (typeof schema.pattern === 'string') notes.push(`Matches /${schema.pattern}/.`);
  // A `*/` inside (a pattern such as a*/) would end the doc comment early.
  return notes.length > 0 ? notes.join(' ').replace(/\*\//g, '*\\/') : undefined;
}
