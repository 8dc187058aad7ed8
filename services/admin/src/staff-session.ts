import type { Request } from 'express';
import type { EntityManager } from '@mikro-orm/core';
import { credentialStamp } from '@tandem/accounts';
import { User, UserTotp } from '@tandem/models';
import type { StaffMember } from './permissions.js';

/** A password checked, the second factor still to come: what the session holds until then. */
export interface PendingTwoFactor {
  readonly userId: number;
  readonly email: string;
  /** true: no authenticator yet and one is required, so the next page enrols one. */
  readonly enrol: boolean;
  /** Epoch ms after which the password step must be done again. */
  readonly expiresAt: number;
  /** credentialStamp of the password checked: a password changed since makes the step stale. */
  readonly stamp: string;
  /**
   * This login's id, random, naming its enrolment (@tandem/two-factor): a secret shown to another
   * login (someone else who knew the password) is never the one this login confirms.
   */
  readonly attempt: string;
}

declare module 'express-session' {
  interface SessionData {
    adminUser?: StaffMember;
    /** credentialStamp of the password the login checked (see staffMember). */
    credentialStamp?: string;
    twoFactorPending?: PendingTwoFactor;
  }
}

/**
 * The session's view of a user: who they are and their permission codenames (union of their roles).
 * With `stamp` (a logged-in session's), also null when the password or the second factor changed
 * since that login (sessionStamp): a password change or reset ends the user's other admin sessions,
 * as it revokes their tokens, and so does turning two-factor sign-in on or off.
 */
export async function staffMember(
  em: EntityManager,
  id: number,
  stamp?: string,
): Promise<StaffMember | null> {
  const user = await em.findOne(User, id, { populate: ['roles', 'passwordHash'] });
  if (!user || !user.isActive || !user.isStaff) return null;
  if (stamp !== undefined && (await sessionStamp(em, user.id, user.passwordHash)) !== stamp) return null;
  const permissions = new Set(user.roles.getItems().flatMap((role) => role.permissions));
  return {
    id: String(user.id),
    email: user.email,
    title: user.email,
    isSuperuser: user.isSuperuser,
    permissions: [...permissions].sort(),
  };
}

/** The credentialStamp a logged-in session of the user holds: their password and second factor. */
export async function sessionStamp(em: EntityManager, userId: number, passwordHash: string): Promise<string> {
  return credentialStamp(passwordHash, await secondFactorSince(em, userId));
}

/** When the user's authenticator was confirmed; null without a confirmed one. */
export async function secondFactorSince(em: EntityManager, userId: number): Promise<Date | null> {
  const totp = await em.findOne(UserTotp, { user: userId }, { fields: ['confirmedAt'] });
  return totp?.confirmedAt ?? null;
}

/**
 * The stamp this session takes after its own user changed their second factor, which ended the user's
 * other sessions (`factorBefore`: secondFactorSince read before the change). Null, and the session is
 * left to end, when its stamp is not the one of the stored password and that factor: the password
 * changed meanwhile, and a stamp taken from the new hash would outlive the change.
 */
export async function stampAfterFactorChange(
  em: EntityManager,
  req: Request,
  userId: number,
  factorBefore: Date | null,
): Promise<string | null> {
  const user = await em.findOneOrFail(User, userId, { populate: ['passwordHash'], refresh: true });
  if (credentialStamp(user.passwordHash, factorBefore) !== req.session.credentialStamp) return null;
  return sessionStamp(em, userId, user.passwordHash);
}

/** A text field of the form express-formidable parsed; '' when absent or not a single string. */
export function formField(req: Request, name: string): string {
  const fields = (req as Request & { fields?: Record<string, unknown> }).fields ?? {};
  const value = fields[name];
  return typeof value === 'string' ? value : '';
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.regenerate((error) => (error ? reject(error) : resolve())),
  );
}

function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}

/**
 * Moves the request to a new session id (a session id planted before a login step is worthless after
 * it) holding `data`: the pending second factor after the password, the staff member after the last
 * step.
 */
export async function renewSession(
  req: Request,
  data: { adminUser: StaffMember; credentialStamp: string } | { twoFactorPending: PendingTwoFactor },
): Promise<void> {
  await regenerate(req);
  Object.assign(req.session, data);
  await save(req);
}

/**
 * The login is complete: the staff member's session, and their last login time. `passwordStamp`:
 * credentialStamp of the stored password hash the login's password step verified. False, and no
 * session, when the stored password is another one by now (changed while the login was under way):
 * a session stamped with the new password would outlive the change it should not survive. A change
 * after this read leaves the session the old stamp, which requireStaff refuses at its next request.
 */
export async function startStaffSession(
  req: Request,
  em: EntityManager,
  member: StaffMember,
  passwordStamp: string,
): Promise<boolean> {
  const id = Number(member.id);
  // Read again (refresh): the caller's EntityManager may hold the user as loaded before a change.
  const user = await em.findOne(User, id, { populate: ['passwordHash'], refresh: true });
  if (!user || credentialStamp(user.passwordHash) !== passwordStamp) return false;
  // A plain UPDATE, not a flush: a flush re-validates the whole entity, and an account stored
  // before a validation rule tightened must still be able to log in (and fix its email).
  await em.nativeUpdate(User, { id }, { lastLoginAt: new Date() });
  const stamp = await sessionStamp(em, id, user.passwordHash);
  await renewSession(req, { adminUser: member, credentialStamp: stamp });
  return true;
}
