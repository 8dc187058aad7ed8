import { wrap, type EntityMetadata, type EntityProperty } from '@mikro-orm/core';
import { ROW_ACCESS_CLAIMS, type AuditSnapshot, type WriteErrors } from '@tandem/models';
import type { WritableProjection } from './handler.js';
import { WriteRejected } from './write-rejected.js';

/**
 * Between a collection's exposed field names (what clients send: `categoryId`) and its entity's
 * property names (what the ORM writes: `category`), both ways, from the hot declaration.
 */
export class ExposedFields {
  private readonly fieldOf = new Map<string, string>();

  constructor(readonly projection: WritableProjection) {
    for (const [field, property] of Object.entries(projection.fields)) this.fieldOf.set(property, field);
  }

  /** Entity data from a body, refusing a field the declaration does not let this operation write. */
  toData(body: Readonly<Record<string, unknown>>, writable: readonly string[]): Record<string, unknown> {
    const data: Record<string, unknown> = {};
    const refused: Record<string, string> = {};
    for (const [field, value] of Object.entries(body)) {
      const property = this.projection.fields[field];
      if (property === undefined || !writable.includes(field))
        refused[field] = 'This field cannot be written.';
      else data[property] = value;
    }
    if (Object.keys(refused).length > 0) throw new WriteRejected(422, refused);
    return data;
  }

  /** A model's field errors (keyed by property) as the writer knows the fields; `_` for unexposed ones. */
  toFieldErrors(errors: Readonly<Record<string, string>>): WriteErrors {
    const mapped: Record<string, string> = {};
    for (const [property, message] of Object.entries(errors)) {
      const field = this.fieldOf.get(property) ?? '_';
      mapped[field] = mapped[field] === undefined ? message : `${mapped[field]} ${message}`;
    }
    return mapped;
  }

  fieldNameOf(property: string): string {
    return this.fieldOf.get(property) ?? property;
  }
}

/** The user id an owner key names (the token's `sub`, in decimal), or undefined when it names none. */
export function userIdOfOwnerKey(ownerKey: string | null): number | undefined {
  const key = ownerKey ?? '';
  return /^[1-9][0-9]{0,15}$/.test(key) && Number.isSafeInteger(Number(key)) ? Number(key) : undefined;
}

/**
 * The owner a row-access collection's new row gets: the writer's claim value (never the body), in the
 * owner property's type (a user id for `sub`). Undefined when the collection has no owners.
 */
export function ownerValue(projection: WritableProjection, ownerKey: string | null): unknown {
  const rule = projection.rowAccess;
  if (rule === undefined) return undefined;
  const key = ownerKey ?? '';
  if (ROW_ACCESS_CLAIMS[rule.claim].fieldType === 'integer') {
    const id = userIdOfOwnerKey(key);
    if (id === undefined)
      throw new WriteRejected(422, {
        _: `Records of ${projection.collection} belong to a user: write them with a user's token.`,
      });
    return id;
  }
  if (key === '') throw new WriteRejected(422, { _: `Records of ${projection.collection} need an owner.` });
  return key;
}

/** A property's value as a row-access owner key (a relation by its id, in decimal). */
export function ownerKeyOfValue(value: unknown): string | undefined {
  const key = value !== null && typeof value === 'object' ? wrap(value, true).getPrimaryKey() : value;
  if (typeof key === 'number') return Number.isSafeInteger(key) ? String(key) : undefined;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

const isAutomatic = (prop: EntityProperty) =>
  prop.primary || prop.onCreate !== undefined || prop.onUpdate !== undefined || prop.hidden === true;

/**
 * What the audit diff compares (as the admin's does): every stored value of the record except its id
 * and the timestamps the ORM fills, a relation by its id.
 */
export function auditSnapshot(meta: EntityMetadata, entity: object): AuditSnapshot {
  const snapshot: AuditSnapshot = {};
  const values = entity as Record<string, unknown>;
  for (const prop of meta.props) {
    if (isAutomatic(prop)) continue;
    const value = values[prop.name];
    if (prop.kind === 'scalar') snapshot[prop.name] = value;
    else if (prop.kind === 'm:1' || prop.kind === '1:1')
      snapshot[prop.name] =
        value !== null && typeof value === 'object' ? wrap(value, true).getPrimaryKey() : (value ?? null);
  }
  return snapshot;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * JSON Merge Patch (RFC 7396) of one value: objects merge key by key (null removes a key), anything
 * else replaces. Applied per property, so a JSON column holding an object is merged, not replaced.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const merged: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = mergePatch(merged[key], value);
  }
  return merged;
}
