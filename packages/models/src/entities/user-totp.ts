import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { User } from './user.js';

const p = defineEntity.properties;

/**
 * A user's TOTP authenticator (RFC 6238; @tandem/two-factor). The row exists from the start of an
 * enrolment; it counts only once `confirmedAt` is set (the user typed a code from the new
 * authenticator). `lastUsedStep` is the 30-second time step of the last accepted code: a code is taken
 * only for a later step, by one conditional UPDATE, so the same code cannot log in twice.
 */
export const UserTotp = defineEntity({
  name: 'UserTotp',
  tableName: 'user_totp',
  properties: {
    id: p.integer().primary().autoincrement(),
    user: () => p.oneToOne(User).owner().unique().deleteRule('cascade'),
    /** The base32 secret sealed with TANDEM_SECRET_KEY (`v1.<iv>.<ciphertext>.<tag>`). Never shown. */
    secretEncrypted: p.text().hidden().lazy(true, false),
    confirmedAt: p.datetime().nullable(),
    lastUsedStep: p.integer().nullable(),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
  },
});

export type UserTotp = InferEntity<typeof UserTotp>;
