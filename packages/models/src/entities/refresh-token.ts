import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { Session } from './session.js';

const p = defineEntity.properties;

/**
 * One opaque refresh token of a session (its family). Only the SHA-256 of the token is stored. Single
 * use: a refresh marks it used (a conditional UPDATE, so two concurrent uses cannot both win) and
 * issues the next one; presenting a used one again revokes the whole session.
 */
export const RefreshToken = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  properties: {
    id: p.integer().primary().autoincrement(),
    session: () => p.manyToOne(Session).deleteRule('cascade').index(),
    /** Hex SHA-256 of the token; the token itself is never stored. */
    tokenHash: p.string().length(64).unique().hidden(),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
    usedAt: p.datetime().nullable(),
  },
});

export type RefreshToken = InferEntity<typeof RefreshToken>;
