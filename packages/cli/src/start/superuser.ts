import { randomBytes } from 'node:crypto';
import type { Config } from '@tandem/config';
import { User, type Orm } from '@tandem/models';
import { CommandError } from '../command.js';
import { createAccount, findUserByEmail } from '../accounts.js';

export const DEFAULT_SUPERUSER_EMAIL = 'admin@localhost';

export type SuperuserOutcome =
  | { readonly kind: 'created from environment'; readonly email: string }
  | { readonly kind: 'exists'; readonly email: string; readonly superuser: boolean }
  | { readonly kind: 'created with one-time password'; readonly email: string; readonly password: string }
  | { readonly kind: 'a superuser exists' }
  /** Users exist but none is a superuser: nothing is created (only a new database gets one). */
  | { readonly kind: 'no superuser' };

/**
 * Makes sure someone can log in to the admin after the first start. TANDEM_SUPERUSER_EMAIL/PASSWORD
 * create that account when it is missing (an existing account's password is never overwritten);
 * without them, a first start (no users at all) creates admin@localhost with a random password for the
 * caller to show once. A database with users but no superuser is left alone: its superusers were
 * demoted on purpose, and a superuser with its password in the logs on every restart would undo that.
 */
export async function ensureSuperuser(orm: Orm, { superuser }: Config): Promise<SuperuserOutcome> {
  const em = orm.em.fork();
  if (superuser.email !== undefined || superuser.password !== undefined) {
    if (superuser.email === undefined)
      throw new CommandError('TANDEM_SUPERUSER_PASSWORD is set but TANDEM_SUPERUSER_EMAIL is not.');
    if (superuser.password === undefined)
      throw new CommandError('TANDEM_SUPERUSER_EMAIL is set but TANDEM_SUPERUSER_PASSWORD is not.');
    const existing = await findUserByEmail(em, superuser.email);
    if (existing) return { kind: 'exists', email: existing.email, superuser: existing.isSuperuser };
    try {
      const user = await createAccount(
        em,
        {
          email: superuser.email,
          password: superuser.password,
          superuser: true,
        },
        'start',
      );
      return { kind: 'created from environment', email: user.email };
    } catch (error) {
      if (error instanceof CommandError)
        throw new CommandError(
          `cannot create the superuser from TANDEM_SUPERUSER_EMAIL/TANDEM_SUPERUSER_PASSWORD: ${error.message}`,
        );
      throw error;
    }
  }
  if ((await em.count(User, { isSuperuser: true })) > 0) return { kind: 'a superuser exists' };
  if ((await em.count(User, {})) > 0) return { kind: 'no superuser' };
  const password = randomBytes(18).toString('base64url');
  try {
    await createAccount(em, { email: DEFAULT_SUPERUSER_EMAIL, password, superuser: true }, 'start');
  } catch (error) {
    // Two first starts at once: both saw no users, the unique email let one insert. The other's
    // superuser (and password, printed by that process) is the one to use.
    if (error instanceof CommandError && (await orm.em.fork().count(User, { isSuperuser: true })) > 0)
      return { kind: 'a superuser exists' };
    throw error;
  }
  return { kind: 'created with one-time password', email: DEFAULT_SUPERUSER_EMAIL, password };
}
