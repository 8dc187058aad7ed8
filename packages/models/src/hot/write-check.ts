import { ownEntry, type EntityMetadataLike } from './metadata.js';
import type { HotProjection } from './projections.js';
import { fragmentProblem } from './schema-fragment.js';
import { isScopeToken } from './scope-token.js';

/** Handler names are registry keys the applier logs: short lowercase words. */
const HANDLER_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

type PropertyMeta = EntityMetadataLike['properties'][string];

/** Set by the database or the ORM (the id, createdAt, updatedAt): a body never carries it. */
const isGenerated = (prop: PropertyMeta) =>
  prop.primary === true || prop.onCreate !== undefined || prop.onUpdate !== undefined;

/** Why one writable field list (create or update) cannot be accepted from a client. */
function fieldProblems(
  projection: HotProjection,
  meta: EntityMetadataLike,
  what: 'create' | 'update',
  fields: readonly string[],
): string[] {
  const problems: string[] = [];
  const owner = projection.rowAccess?.field;
  // The owner's entity property: a second exposed name for it would be the owner all the same.
  const ownerProperty = owner === undefined ? undefined : projection.fields[owner];
  const seen = new Set<string>();
  for (const field of fields) {
    const at = `writes.${what}: field ${JSON.stringify(field)}`;
    if (seen.has(field)) problems.push(`${at} is listed twice`);
    seen.add(field);
    const property = ownEntry(projection.fields, field);
    if (property === undefined) {
      problems.push(`${at} is not one of the exposed fields`);
      continue;
    }
    if (field === owner || property === ownerProperty) {
      problems.push(
        `${at} is the row owner (rowAccess.field${field === owner ? '' : ` ${JSON.stringify(owner)}, exposed again`}): the applier sets it from the writer's token, a body never does`,
      );
      continue;
    }
    const prop = ownEntry(meta.properties, property);
    if (prop && isGenerated(prop))
      problems.push(`${at} is set by the database or the ORM (${property}), never by a body`);
    else if (prop && prop.kind !== 'scalar' && prop.kind !== 'm:1')
      problems.push(`${at} is a ${prop.kind} relation; only columns and many-to-one ids are writable`);
  }
  return problems;
}

/**
 * Every reason a hot declaration's `writes` cannot be served (issue 15): a write scope that is not one
 * scope token, writable fields that are not exposed, generated, or the row owner (which the applier
 * takes from the token, so a client can never write a row for someone else), required fields that are
 * not writable, a schema for a field that is not writable or that Ajv cannot compile, an unnamed
 * operation.
 */
export function writeProblems(projection: HotProjection, meta: EntityMetadataLike): string[] {
  const writes = projection.writes;
  if (!writes) return [];
  const problems: string[] = [];
  if (!isScopeToken(writes.scope))
    problems.push(
      `writes: scope ${JSON.stringify(writes.scope)} must be one OAuth scope token, without spaces (e.g. "orders:write")`,
    );
  else if (writes.scope === projection.scope || writes.scope === projection.rowAccess?.anyScope)
    problems.push(
      `writes: scope ${JSON.stringify(writes.scope)} must differ from the read scopes (a token that may read must not write by that alone)`,
    );
  if (!writes.create && !writes.update && writes.delete !== true)
    problems.push('writes: declares no operation (create, update or delete: true)');
  if (writes.create) {
    problems.push(...fieldProblems(projection, meta, 'create', writes.create.fields));
    for (const field of writes.create.required ?? [])
      if (!writes.create.fields.includes(field))
        problems.push(`writes.create: required field ${JSON.stringify(field)} is not one of create.fields`);
  }
  if (writes.update) {
    if (writes.update.fields.length === 0)
      problems.push('writes.update: lists no field (a patch could change nothing)');
    problems.push(...fieldProblems(projection, meta, 'update', writes.update.fields));
  }
  const writable = new Set([...(writes.create?.fields ?? []), ...(writes.update?.fields ?? [])]);
  for (const [field, fragment] of Object.entries(writes.schema ?? {})) {
    if (!writable.has(field)) {
      problems.push(
        `writes.schema: field ${JSON.stringify(field)} is not writable (not in create or update)`,
      );
      continue;
    }
    const problem = fragmentProblem(fragment);
    if (problem !== undefined)
      problems.push(`writes.schema: field ${JSON.stringify(field)} is not a valid JSON Schema: ${problem}`);
  }
  if (writes.handler !== undefined && !HANDLER_NAME.test(writes.handler))
    problems.push(
      `writes: handler ${JSON.stringify(writes.handler)} must be a lowercase name (e.g. "orders")`,
    );
  return problems;
}
