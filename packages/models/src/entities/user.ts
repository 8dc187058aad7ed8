import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { Role } from './role.js';
import { isEmail, throwIfInvalid, type FieldErrors } from '../validation.js';

const p = defineEntity.properties;

/**
 * A person who can log in. Emails are stored lower-cased and unique on lower(email) in the database,
 * so `Ann@Example.com` and `ann@example.com` are the same account.
 */
export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.integer().primary().autoincrement(),
    email: p.string().length(254),
    /** argon2id PHC string; never serialized, never shown in the admin. */
    passwordHash: p.string().length(255).hidden().lazy(true, false),
    isActive: p.boolean().default(true),
    /** May log in to the admin. */
    isStaff: p.boolean().default(false),
    /** Has every permission without roles. */
    isSuperuser: p.boolean().default(false),
    roles: () =>
      p.manyToMany(Role).pivotTable('user_roles').joinColumn('user_id').inverseJoinColumn('role_id'),
    lastLoginAt: p.datetime().nullable(),
    createdAt: p
      .datetime()
      .onCreate(() => new Date())
      .defaultRaw('CURRENT_TIMESTAMP'),
  },
  uniques: [
    {
      name: 'users_email_lower_unique',
      expression: 'create unique index users_email_lower_unique on users (lower(email))',
    },
  ],
  hooks: {
    beforeCreate: [({ entity }) => validateUser(entity)],
    beforeUpdate: [({ entity }) => validateUser(entity)],
  },
});

export type User = InferEntity<typeof User>;

/**
 * The one spelling of an email that Tandem stores, looks up and keys login throttling by: Unicode NFKC
 * (full-width and other compatibility forms fold to their plain letters), lower case, no surrounding
 * whitespace. Every place that keys by email uses this function, so " Ann@Example.com" or
 * "ａｎｎ@example.com" can never reach a different bucket than the account it logs into.
 */
export function normalizeEmail(email: string): string {
  // NFKC again after lower-casing: a few lower-case mappings leave text that is not in NFKC.
  return email.normalize('NFKC').toLowerCase().normalize('NFKC').trim();
}

export function validateUser(user: { email: string }): void {
  const errors: FieldErrors = {};
  if (typeof user.email === 'string') user.email = normalizeEmail(user.email);
  if (!isEmail(user.email)) errors.email = 'Enter a valid email address.';
  throwIfInvalid(errors);
}
