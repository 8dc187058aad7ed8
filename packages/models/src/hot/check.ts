import type { HotProjection } from './projections.js';
import { ownEntry, type EntityMetadataLike, type MetadataLookup } from './metadata.js';
import { ROW_ACCESS_CLAIMS, isRowAccessClaim } from './row-access.js';
import { fragmentProblem } from './schema-fragment.js';
import { isScopeToken } from './scope-token.js';
import { writeProblems } from './write-check.js';

/** A hot declaration that cannot be served; the message names the declaration and what to change. */
export class ProjectionError extends Error {
  override name = 'ProjectionError';
}

const COLLECTION = /^[a-z][a-z0-9_-]*$/;
/** JSON field names become SQL aliases and query parameters: plain identifiers only. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INTEGER_TYPES = /^(integer|int|int4|int8|bigint|smallint|tinyint|mediumint|increments|bigincrements)$/i;

type PropertyMeta = EntityMetadataLike['properties'][string];

function isIntegerKey(prop: PropertyMeta | undefined): boolean {
  return (
    prop !== undefined &&
    prop.kind === 'scalar' &&
    prop.fieldNames[0] === 'id' &&
    (prop.runtimeType === 'number' || prop.runtimeType === 'bigint') &&
    INTEGER_TYPES.test(prop.type)
  );
}

/** An integer column, or a relation (whose exposed value is the related integer id). */
function holdsInteger(prop: PropertyMeta): boolean {
  if (prop.kind === 'm:1' || prop.kind === '1:1') return true;
  return prop.kind === 'scalar' && prop.runtimeType === 'number' && INTEGER_TYPES.test(prop.type);
}

/** A string column. */
function holdsString(prop: PropertyMeta): boolean {
  return prop.kind === 'scalar' && prop.runtimeType === 'string';
}

/**
 * A property whose JSON value is one string, number or boolean (or null): what a list filter, which
 * compares one query-string value with it, can equal. A JSON column may hold an array or an object, as
 * an array property does: no query value could name one, and their text forms collide ("a,b").
 */
function holdsOneValue(prop: PropertyMeta): boolean {
  if (prop.kind === 'm:1' || prop.kind === '1:1') return true;
  return prop.kind === 'scalar' && !/json|array/i.test(prop.type) && !prop.runtimeType?.endsWith('[]');
}

/** Why a `rowAccess` rule cannot be enforced: the owner field, the claim, the lifting scope. */
function rowAccessProblems(projection: HotProjection, meta: EntityMetadataLike): string[] {
  const rule = projection.rowAccess;
  if (!rule) return [];
  const problems: string[] = [];
  const claims = Object.keys(ROW_ACCESS_CLAIMS).join(', ');
  const claim: string = rule.claim;
  if (!isRowAccessClaim(claim))
    problems.push(`rowAccess: unknown claim ${JSON.stringify(claim)} (row access can compare: ${claims})`);
  const property = ownEntry(projection.fields, rule.field);
  const prop = property === undefined ? undefined : ownEntry(meta.properties, property);
  if (property === undefined) {
    problems.push(`rowAccess: field ${JSON.stringify(rule.field)} is not one of the exposed fields`);
  } else if (isRowAccessClaim(claim) && prop !== undefined) {
    const fieldType = ROW_ACCESS_CLAIMS[claim].fieldType;
    if (fieldType === 'integer' && !holdsInteger(prop))
      problems.push(
        `rowAccess: field ${JSON.stringify(rule.field)} (${prop.type}) must hold an integer or a relation to compare with the ${claim} claim`,
      );
    if (fieldType === 'string' && !holdsString(prop))
      problems.push(
        `rowAccess: field ${JSON.stringify(rule.field)} (${prop.type}) must hold a string to compare with the ${claim} claim`,
      );
  }
  if (rule.anyScope !== undefined && (!isScopeToken(rule.anyScope) || rule.anyScope === projection.scope))
    problems.push(
      `rowAccess: anyScope ${JSON.stringify(rule.anyScope)} must be one OAuth scope token other than the collection's scope`,
    );
  return problems;
}

/** Why a `hotWindow` cannot be kept: it needs a datetime property and a whole number of seconds ≥ 60. */
function hotWindowProblems(projection: HotProjection, meta: EntityMetadataLike): string[] {
  const window = projection.hotWindow;
  if (!window) return [];
  const problems: string[] = [];
  const prop = ownEntry(meta.properties, window.property);
  if (!prop)
    problems.push(`hotWindow: ${projection.entity} has no property ${JSON.stringify(window.property)}`);
  else if (!(prop.kind === 'scalar' && (prop.runtimeType === 'Date' || /date|time/i.test(prop.type))))
    problems.push(`hotWindow: property ${JSON.stringify(window.property)} (${prop.type}) must be a datetime`);
  if (!Number.isSafeInteger(window.seconds) || window.seconds < 60)
    problems.push(`hotWindow: seconds (${window.seconds}) must be a whole number of at least 60`);
  return problems;
}

/**
 * Why the declaration's `schema` cannot hold: a key that is no exposed field (a misspelt "pricecents"
 * was neither published nor enforced), a fragment Ajv cannot compile (it failed on the first save).
 */
function schemaProblems(projection: HotProjection): string[] {
  const problems: string[] = [];
  const exposed = Object.keys(projection.fields).join(', ');
  for (const [field, fragment] of Object.entries(projection.schema ?? {})) {
    if (!Object.hasOwn(projection.fields, field)) {
      problems.push(`schema: field ${JSON.stringify(field)} is not one of the exposed fields (${exposed})`);
      continue;
    }
    const problem = fragmentProblem(fragment);
    if (problem !== undefined)
      problems.push(`schema: field ${JSON.stringify(field)} is not a valid JSON Schema: ${problem}`);
  }
  return problems;
}

/**
 * Every reason one hot declaration cannot be served, checked against the ORM metadata at start-up
 * (the fast service, the relay): a misspelt property would otherwise surface as an SQL error on the
 * first change, a scope with a space could never be granted, a text key could not be a cursor.
 */
function problemsOf(projection: HotProjection, meta: EntityMetadataLike | undefined): string[] {
  const problems: string[] = [];
  if (!COLLECTION.test(projection.collection))
    problems.push('the collection name must be a lowercase URL segment (a-z, 0-9, "-" and "_")');
  if (!isScopeToken(projection.scope))
    problems.push(
      `scope ${JSON.stringify(projection.scope)} must be one OAuth scope token, without spaces (e.g. "catalog:read")`,
    );
  if (!meta) return [...problems, `the ORM knows no entity ${projection.entity} (is it in the registry?)`];
  const known = Object.keys(meta.properties);
  const missing = (property: string) =>
    `${projection.entity} has no property ${JSON.stringify(property)} (its properties: ${known.join(', ')})`;
  const id = ownEntry(meta.properties, 'id');
  if (!isIntegerKey(id)) {
    problems.push(
      `the primary key must be an integer property "id" stored in column "id" (${projection.entity}.id is ${
        id ? `${id.type}, column ${id.fieldNames[0] ?? '?'}` : 'missing'
      }): list pages use it as their cursor`,
    );
  }
  for (const [field, property] of Object.entries(projection.fields)) {
    if (!FIELD_NAME.test(field)) problems.push(`field name ${JSON.stringify(field)} must be an identifier`);
    if (!ownEntry(meta.properties, property))
      problems.push(`field ${JSON.stringify(field)}: ${missing(property)}`);
  }
  if (ownEntry(projection.fields, 'id') !== 'id')
    problems.push('fields must expose the primary key as "id": "id"');
  for (const field of projection.filterable ?? []) {
    if (!Object.hasOwn(projection.fields, field)) {
      problems.push(`filterable field ${JSON.stringify(field)} is not one of the exposed fields`);
      continue;
    }
    const prop = ownEntry(meta.properties, projection.fields[field]!);
    if (prop !== undefined && !holdsOneValue(prop))
      problems.push(
        `filterable field ${JSON.stringify(field)} (${prop.type}) must hold one string, number or boolean: a filter cannot select an array or an object`,
      );
  }
  for (const [property, value] of Object.entries(projection.where ?? {})) {
    if (!ownEntry(meta.properties, property)) problems.push(`row filter: ${missing(property)}`);
    if (typeof value === 'number' && !Number.isFinite(value))
      problems.push(`row filter on ${property}: ${value} is not a finite number`);
  }
  problems.push(...schemaProblems(projection));
  problems.push(...hotWindowProblems(projection, meta));
  problems.push(...rowAccessProblems(projection, meta));
  problems.push(...writeProblems(projection, meta));
  return problems;
}

/**
 * Throws a ProjectionError naming the first declaration that cannot be served and every problem it
 * has, so start-up stops with a message to act on instead of failing later on a request or a change.
 */
export function checkHotProjections(projections: readonly HotProjection[], lookup: MetadataLookup): void {
  const seen = new Set<string>();
  for (const projection of projections) {
    const problems = problemsOf(projection, lookup(projection.entity));
    if (seen.has(projection.collection)) problems.push('another model declares the same collection');
    seen.add(projection.collection);
    if (problems.length > 0)
      throw new ProjectionError(
        `The hot declaration of ${projection.entity} (defineModel(${projection.entity}, { hot: { collection: ${JSON.stringify(projection.collection)} ... } })) cannot be served:\n  - ${problems.join('\n  - ')}`,
      );
  }
}
