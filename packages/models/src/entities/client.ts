import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { isBlank, isStringList, throwIfInvalid, type FieldErrors } from '../validation.js';

const p = defineEntity.properties;

/** Same scope syntax as Role.scopes (e.g. `catalog:read`). */
const SCOPE = /^[a-z][a-z0-9_.-]*(?::[a-z0-9_.-]+)*$/;

/**
 * A machine client of the auth service (OAuth 2.0 client_credentials). Its secret is shown once when
 * it is created and stored only as a keyed hash (HMAC-SHA256, see @tandem/tokens client-secrets), so
 * neither a database dump nor the admin can reveal it.
 */
export const Client = defineEntity({
  name: 'Client',
  tableName: 'clients',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().length(120),
    /** The public identifier a client sends as `client_id`. */
    clientId: p.string().length(64).unique(),
    /** Hex HMAC-SHA256 of the secret; never serialized, never shown in the admin. */
    secretHash: p.string().length(64).hidden(),
    /** Scopes this client may obtain, e.g. `catalog:read`. */
    scopes: p.json<string[]>().default('[]'),
    isActive: p.boolean().default(true),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
  },
  hooks: {
    beforeCreate: [({ entity }) => validateClient(entity)],
    beforeUpdate: [({ entity }) => validateClient(entity)],
  },
});

export type Client = InferEntity<typeof Client>;

export function validateClient(client: { name?: unknown; clientId?: unknown; scopes?: unknown }): void {
  const errors: FieldErrors = {};
  if (isBlank(client.name)) errors.name = 'Name is required.';
  if (typeof client.clientId !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(client.clientId))
    errors.clientId = 'Client id must be 8 to 64 letters, digits, "-" or "_".';
  if (!isStringList(client.scopes) || client.scopes.some((scope) => !SCOPE.test(scope)))
    errors.scopes = 'Scopes are lowercase words such as catalog:read.';
  throwIfInvalid(errors);
}
