import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { User } from './user.js';

const p = defineEntity.properties;

/**
 * One of a user's ten single-use two-factor recovery codes, stored as its keyed HMAC only (the codes
 * are shown once, at enrolment). Using one sets `usedAt` by a conditional UPDATE, so it works once
 * even when two requests present it at the same moment.
 */
export const RecoveryCode = defineEntity({
  name: 'RecoveryCode',
  tableName: 'recovery_codes',
  properties: {
    id: p.integer().primary().autoincrement(),
    user: () => p.manyToOne(User).deleteRule('cascade').index(),
    /** HMAC-SHA256 (hex) of the normalized code, key derived from TANDEM_SECRET_KEY. */
    codeHash: p.string().length(64).hidden(),
    usedAt: p.datetime().nullable(),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
  },
  uniques: [{ name: 'recovery_codes_user_code_unique', properties: ['user', 'codeHash'] }],
});

export type RecoveryCode = InferEntity<typeof RecoveryCode>;
