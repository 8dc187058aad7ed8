import type { EntityManager } from '@mikro-orm/core';
import {
  RecoveryCode,
  UserTotp,
  auditTwoFactorChange,
  type AuditActor,
  type TwoFactorChange,
} from '@tandem/models';
import type { TwoFactorConfig } from '@tandem/config';
import { lockUser, revokeUserSessions } from '@tandem/tokens';
import { twoFactorRequired } from './policy.js';

/**
 * The two-factor rows of one user. Every "use once" rule is one conditional UPDATE whose affected-row
 * count is the verdict, so two requests presenting the same code at the same moment cannot both win
 * (no read-then-write across an await).
 */
export interface StoredTotp {
  readonly secretEncrypted: string;
  readonly confirmed: boolean;
  /** When this secret was stored: an unconfirmed one expires some minutes after (two-factor.ts). */
  readonly createdAt: Date;
}

export async function findTotp(em: EntityManager, userId: number): Promise<StoredTotp | null> {
  const row = await em.fork().findOne(UserTotp, { user: userId }, { populate: ['secretEncrypted'] });
  return row
    ? { secretEncrypted: row.secretEncrypted, confirmed: row.confirmedAt != null, createdAt: row.createdAt }
    : null;
}

/** Whether the user has a confirmed authenticator (readable without the secret key). */
export async function twoFactorEnrolled(em: EntityManager, userId: number): Promise<boolean> {
  return confirmedIn(em.fork(), userId);
}

/**
 * Whether the password alone no longer signs `user` in: they have a confirmed authenticator, or must
 * have one (twoFactorRequired). Read in `tx` itself, the transaction that holds the user's row while a
 * sign-in or a password grant starts (a fork would read outside it, and on SQLite wait for it).
 */
export async function secondFactorDue(
  tx: EntityManager,
  config: TwoFactorConfig,
  user: { readonly id: number; readonly isStaff: boolean; readonly isSuperuser: boolean },
): Promise<boolean> {
  return twoFactorRequired(config, user) || (await confirmedIn(tx, user.id));
}

async function confirmedIn(em: EntityManager, userId: number): Promise<boolean> {
  return (await em.count(UserTotp, { user: userId, confirmedAt: { $ne: null } })) > 0;
}

/**
 * Stores a new, unconfirmed secret: as the user's first row (`replacing` undefined), or in place of
 * the unconfirmed secret `replacing` (another attempt's, or an expired one). False when the row is no
 * longer what the caller read (a parallel enrolment or confirmation came first): the caller reads again.
 */
export async function storePendingSecret(
  em: EntityManager,
  userId: number,
  secretEncrypted: string,
  replacing: string | undefined,
): Promise<boolean> {
  const fork = em.fork();
  if (replacing !== undefined) {
    const replaced = await fork.nativeUpdate(
      UserTotp,
      { user: userId, confirmedAt: null, secretEncrypted: replacing },
      { secretEncrypted, createdAt: new Date() },
    );
    return replaced === 1;
  }
  try {
    await fork.insert(UserTotp, { user: userId, secretEncrypted, createdAt: new Date() });
    return true;
  } catch (error) {
    // Two enrolment pages opened at once: the unique user_id index let one insert in.
    if (await findTotp(fork, userId)) return false;
    throw error;
  }
}

/**
 * Confirms the pending secret `pendingEncrypted` (only that one: a secret another attempt stored
 * meanwhile is not confirmed by this attempt's code), storing it as `confirmedEncrypted` with the step
 * of the code that proved it, and replaces the recovery codes, in one transaction. False when that
 * secret was no longer pending (confirmed by a parallel request, replaced, or removed).
 * The change is audited in the same transaction (whoever enrolled is `actor`, the user themselves), and
 * the user's sign-ins and token sessions got with the password alone end with it (revokeUserSessions,
 * as after a password change): a second factor that leaves them working protects nothing. The sign-in
 * doing the enrolment is not one of them yet: both login pages start it only after this commits. A
 * password-only sign-in racing this takes the user's row too and checks for the factor once it holds
 * it (startSignIn, startStaffSession, the password grant): it is ended here or refused there.
 */
export async function confirmTotp(
  em: EntityManager,
  userId: number,
  secrets: { readonly pendingEncrypted: string; readonly confirmedEncrypted: string },
  step: number,
  recoveryCodeHashes: readonly string[],
  actor: AuditActor,
): Promise<boolean> {
  return em.fork().transactional(async (tx) => {
    // The user's row first, as a sign-in or a password grant takes it before it checks for a second
    // factor: one racing this either committed before (and is ended below) or waits and then sees the
    // factor. And the same order as a password change (user, then this row): no deadlock.
    await lockUser(tx as Parameters<typeof lockUser>[0], userId);
    const confirmed = await tx.nativeUpdate(
      UserTotp,
      { user: userId, confirmedAt: null, secretEncrypted: secrets.pendingEncrypted },
      { confirmedAt: new Date(), lastUsedStep: step, secretEncrypted: secrets.confirmedEncrypted },
    );
    if (confirmed !== 1) return false;
    await tx.nativeDelete(RecoveryCode, { user: userId });
    await tx.insertMany(
      RecoveryCode,
      recoveryCodeHashes.map((codeHash) => ({ user: userId, codeHash })),
    );
    auditTwoFactorChange(tx, actor, 'enable_two_factor', userId);
    await revokeUserSessions(tx as Parameters<typeof revokeUserSessions>[0], userId, 'two_factor_enabled');
    return true;
  });
}

/** Takes a time step for a confirmed authenticator if no later-or-equal step was taken: true once. */
export async function claimTotpStep(em: EntityManager, userId: number, step: number): Promise<boolean> {
  const claimed = await em.fork().nativeUpdate(
    UserTotp,
    {
      user: userId,
      confirmedAt: { $ne: null },
      $or: [{ lastUsedStep: null }, { lastUsedStep: { $lt: step } }],
    },
    { lastUsedStep: step },
  );
  return claimed === 1;
}

/** Marks an unused recovery code used: true once per code. */
export async function claimRecoveryCode(
  em: EntityManager,
  userId: number,
  codeHash: string,
): Promise<boolean> {
  const claimed = await em
    .fork()
    .nativeUpdate(RecoveryCode, { user: userId, codeHash, usedAt: null }, { usedAt: new Date() });
  return claimed === 1;
}

export async function unusedRecoveryCodes(em: EntityManager, userId: number): Promise<number> {
  return em.fork().count(RecoveryCode, { user: userId, usedAt: null });
}

/**
 * Removes the authenticator and the recovery codes: the user turning it off (`disable_two_factor`) or
 * `tandem reset2fa` (`reset_two_factor`). Audited in the same transaction when there was one to remove.
 */
export async function removeTwoFactor(
  em: EntityManager,
  userId: number,
  actor: AuditActor,
  action: Exclude<TwoFactorChange, 'enable_two_factor'>,
): Promise<boolean> {
  return em.fork().transactional(async (tx) => {
    await tx.nativeDelete(RecoveryCode, { user: userId });
    const removed = (await tx.nativeDelete(UserTotp, { user: userId })) > 0;
    if (removed) auditTwoFactorChange(tx, actor, action, userId);
    return removed;
  });
}
