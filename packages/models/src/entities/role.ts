import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { isKnownPermissionCodename } from '../permissions.js';
import { isBlank, isStringList, throwIfInvalid, type FieldErrors } from '../validation.js';

const p = defineEntity.properties;

/** A named set of token scopes (what its users may read through the API) and admin permissions. */
export const Role = defineEntity({
  name: 'Role',
  tableName: 'roles',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(80).unique(),
    /** OAuth scopes granted to members, e.g. `catalog:read`. */
    scopes: p.json<string[]>().default('[]'),
    /** Admin permission codenames, e.g. `view_product`, `change_product`. */
    permissions: p.json<string[]>().default('[]'),
  },
  hooks: {
    beforeCreate: [({ entity }) => validateRole(entity)],
    beforeUpdate: [({ entity }) => validateRole(entity)],
  },
});

export type Role = InferEntity<typeof Role>;

const SCOPE = /^[a-z][a-z0-9_.-]*(?::[a-z0-9_.-]+)*$/;

export function validateRole(role: { name?: unknown; scopes?: unknown; permissions?: unknown }): void {
  const errors: FieldErrors = {};
  if (isBlank(role.name)) errors.name = 'Name is required.';
  if (!isStringList(role.scopes) || role.scopes.some((scope) => !SCOPE.test(scope)))
    errors.scopes = 'Scopes are lowercase words such as catalog:read.';
  if (!isStringList(role.permissions)) errors.permissions = 'Permissions must be a list of codenames.';
  else {
    const unknown = role.permissions.filter((codename) => !isKnownPermissionCodename(codename));
    if (unknown.length > 0) errors.permissions = `Unknown permission: ${unknown.join(', ')}.`;
  }
  throwIfInvalid(errors);
}
