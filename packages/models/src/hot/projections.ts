import type { HotDeclaration } from '../model.js';

/**
 * Hot projections (docs/architecture.md, decision 2): what the fast service serves and pushes. Each is
 * declared next to its entity (`defineModel(Entity, { hot: {...} })` in packages/models/src/entities/)
 * and listed in the registry (packages/models/src/registry.ts), which derives `hotProjections` from
 * them; every part that needs them reads that list (the fast service, the change feed, the relay, the
 * OpenAPI document, the migrations' trigger helper). Field names are the JSON names clients see;
 * values are entity property names, so columns and types come from the ORM metadata.
 */
export interface HotProjection extends HotDeclaration {
  /** Entity name in the ORM metadata; it must have an integer `id` primary key. */
  readonly entity: string;
  /** The entity's table, whose changes the capture triggers record. */
  readonly table: string;
}

/**
 * Tables whose changes revoke access tokens rather than feed a collection: a session (the `sid` claim)
 * that is revoked or deleted ends its tokens at once, on every fast node.
 */
export const revocationSource = {
  table: 'sessions',
  idColumn: 'id',
  revokedAtColumn: 'revoked_at',
  expiresAtColumn: 'expires_at',
} as const;
