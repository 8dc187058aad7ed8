import type { EntityManager } from '@mikro-orm/core';
import { User, normalizeEmail } from '@tandem/models';
import { burnPasswordCheck, verifyPassword } from './passwords.js';

/**
 * Returns the active user with this email and password, or null. Unknown emails, wrong passwords and
 * inactive accounts are indistinguishable to the caller and take the same time.
 */
export async function authenticateUser(
  em: EntityManager,
  email: string,
  password: string,
): Promise<User | null> {
  // No account's email holds a NUL, and PostgreSQL refuses one in a query (a 500): an unknown account.
  const user = email.includes('\0')
    ? null
    : await em.findOne(User, { email: normalizeEmail(email) }, { populate: ['passwordHash'] });
  if (!user) {
    await burnPasswordCheck(password);
    return null;
  }
  const valid = await verifyPassword(user.passwordHash, password);
  if (!valid || !user.isActive) return null;
  return user;
}
