import { hashPassword, passwordProblem } from '@tandem/accounts';
import {
  ModelValidationError,
  Role,
  User,
  auditAccountCreation,
  auditPasswordChange,
  commandActor,
  normalizeEmail,
  validateUser,
  type Orm,
} from '@tandem/models';
import { revokeUserSessions } from '@tandem/tokens';
import { CommandError } from './command.js';

type EntityManager = Orm['em'];

export interface NewAccount {
  readonly email: string;
  readonly password: string;
  readonly roles?: readonly string[];
  readonly staff?: boolean;
  readonly superuser?: boolean;
  readonly active?: boolean;
}

/** The email's problem for a person to read, or undefined when it is usable. */
export function emailProblem(email: string): string | undefined {
  try {
    validateUser({ email });
    return undefined;
  } catch (error) {
    if (error instanceof ModelValidationError) return error.errors.email ?? error.message;
    throw error;
  }
}

export async function findUserByEmail(em: EntityManager, email: string): Promise<User | null> {
  return em.findOne(User, { email: normalizeEmail(email) });
}

/**
 * Creates a user after the checks Django's createuser/createsuperuser make, each failing with a
 * message that names the problem: a valid email, an acceptable password, a free email, known roles.
 * The user and its audit entry (actor: the `command` that created it) commit together.
 */
export async function createAccount(em: EntityManager, account: NewAccount, command: string): Promise<User> {
  const email = normalizeEmail(account.email);
  const badEmail = emailProblem(email);
  if (badEmail) throw new CommandError(`${JSON.stringify(account.email)}: ${badEmail}`);
  const badPassword = passwordProblem(account.password);
  if (badPassword) throw new CommandError(badPassword);
  if (await findUserByEmail(em, email)) throw new CommandError(`a user with email ${email} already exists.`);

  const roleNames = [...new Set(account.roles ?? [])];
  const roles = roleNames.length === 0 ? [] : await em.find(Role, { name: { $in: roleNames } });
  const unknown = roleNames.filter((name) => !roles.some((role) => role.name === name));
  if (unknown.length > 0) {
    const known = (await em.find(Role, {}, { orderBy: { name: 'asc' } })).map((role) => role.name);
    throw new CommandError(
      `unknown role${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => JSON.stringify(name)).join(', ')} ` +
        `(existing roles: ${known.length > 0 ? known.join(', ') : 'none'}).`,
    );
  }

  const passwordHash = await hashPassword(account.password);
  try {
    return await em.transactional(async (tx) => {
      const user = tx.create(User, {
        email,
        passwordHash,
        // A superuser who cannot open the admin would be useless, as in Django's create_superuser.
        isStaff: account.staff === true || account.superuser === true,
        isSuperuser: account.superuser === true,
        isActive: account.active !== false,
      });
      for (const role of roles) user.roles.add(tx.getReference(Role, role.id));
      await tx.flush();
      auditAccountCreation(tx, commandActor(command), {
        id: user.id,
        email: user.email,
        isStaff: user.isStaff,
        isSuperuser: user.isSuperuser,
        isActive: user.isActive,
        roles: roles.map((role) => role.name),
      });
      return user;
    });
  } catch (error) {
    // Another process created the same email between the check and the insert.
    if (error instanceof Error && error.name === 'UniqueConstraintViolationException')
      throw new CommandError(`a user with email ${email} already exists.`);
    throw error;
  }
}

/**
 * Rejects a new password the way account creation would, with a message for the user. The new hash
 * and the end of the user's sessions commit together: whoever held a token obtained with the old
 * password (or stolen with it) loses it within a second, through the change feed.
 */
export async function setPassword(em: EntityManager, user: User, password: string): Promise<number> {
  const problem = passwordProblem(password);
  if (problem) throw new CommandError(problem);
  const passwordHash = await hashPassword(password);
  return em.transactional(async (tx) => {
    await tx.nativeUpdate(User, { id: user.id }, { passwordHash });
    auditPasswordChange(tx, commandActor('changepassword'), user.id);
    return revokeUserSessions(tx, user.id, 'password_changed');
  });
}
