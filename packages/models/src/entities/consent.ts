import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { Client } from './client.js';
import { User } from './user.js';

const p = defineEntity.properties;

/**
 * A user's consent to a (third-party) client: the scopes they allowed it. The authorization page asks
 * again only for scopes beyond these; first-party clients never ask. Deleting the user or the client
 * deletes it.
 */
export const Consent = defineEntity({
  name: 'Consent',
  tableName: 'oauth_consents',
  properties: {
    id: p.integer().primary().autoincrement(),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    client: () => p.manyToOne(Client).deleteRule('cascade').index(),
    /** Space-separated scopes the user allowed. */
    scope: p.text().default(''),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
  },
  uniques: [{ properties: ['user', 'client'] }],
});

export type Consent = InferEntity<typeof Consent>;
