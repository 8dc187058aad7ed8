import type { Request } from 'express';
import type { EntityManager } from '@mikro-orm/core';
import { credentialStamp } from '@tandem/accounts';
import type { TwoFactorConfig } from '@tandem/config';
import { User, UserTotp } from '@tandem/models';
import { twoFactorRequired } from '@tandem/two-factor';
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
 * How the login proved who it is: the password and a second factor, or the password alone (allowed
 * only while the account has no authenticator and needs none under `twoFactor`).
 */
export type LoginProof =
  { readonly via: 'second_factor' } | { readonly via: 'password'; readonly twoFactor: TwoFactorConfig };

/**
 * What startStaffSession did: the session started, or none because the password or the account
 * changed since the password step (`password_changed`: the login starts again), or because a
 * password-only login's account has a second factor by now (`code_due`) or must enrol one
 * (`enrolment_due`).
 */
export type StaffSessionStart = 'started' | 'password_changed' | 'code_due' | 'enrolment_due';

/**
 * The login is complete: the staff member's session, and their last login time. `passwordStamp`:
 * credentialStamp of the stored password hash the login's password step verified. The checks are made
 * in one transaction holding the user's row, the row a password change, a deactivation or a second
 * factor's confirmation takes first (revokeUserSessions, confirmTotp): such a change either committed
 * before and is seen here (no session: a session stamped with the new password, or a password-only
 * session stamped with the new factor, would outlive the change it should not survive), or commits
 * after and changes the stamp this session takes, which requireStaff then refuses.
 */
export async function startStaffSession(
  req: Request,
  em: EntityManager,
  member: StaffMember,
  passwordStamp: string,
  proof: LoginProof,
): Promise<StaffSessionStart> {
  const id = Number(member.id);
  let stamp: string;
  try {
    stamp = await em.fork().transactional(async (tx) => {
      // A plain UPDATE, not a flush: a flush re-validates the whole entity, and an account stored
      // before a validation rule tightened must still be able to log in (and fix its email). First:
      // it takes the user's row, and only while the account is active staff.
      const current = await tx.nativeUpdate(
        User,
        { id, isActive: true, isStaff: true },
        { lastLoginAt: new Date() },
      );
      if (current === 0) throw new NotStarted('password_changed');
      const user = await tx.findOneOrFail(User, id, { populate: ['passwordHash'], refresh: true });
      if (credentialStamp(user.passwordHash) !== passwordStamp) throw new NotStarted('password_changed');
      const factorSince = await secondFactorSince(tx, id);
      if (proof.via === 'password' && factorSince !== null) throw new NotStarted('code_due');
      if (proof.via === 'password' && twoFactorRequired(proof.twoFactor, user))
        throw new NotStarted('enrolment_due');
      return credentialStamp(user.passwordHash, factorSince);
    });
  } catch (error) {
    // Rolled back, lastLoginAt with it.
    if (error instanceof NotStarted) return error.reason;
    throw error;
  }
  await renewSession(req, { adminUser: member, credentialStamp: stamp });
  return 'started';
}

/** Thrown inside startStaffSession's transaction to roll it back. */
class NotStarted extends Error {
  constructor(readonly reason: Exclude<StaffSessionStart, 'started'>) {
    super(`staff session not started: ${reason}`);
  }
}
