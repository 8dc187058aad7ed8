import type { EntityManager } from '@mikro-orm/core';
import {
  RecoveryCode,
  UserTotp,
  auditTwoFactorChange,
  type AuditActor,
  type TwoFactorChange,
} from '@tandem/models';

/**
 * The two-factor rows of one user. Every "use once" rule is one conditional UPDATE whose affected-row
 * count is the verdict, so two requests presenting the same code at the same moment cannot both win
 * (no read-then-write across an await).
 */
export interface StoredTotp {
  readonly secretEncrypted: string;
  readonly confirmed: boolean;
}

export async function findTotp(em: EntityManager, userId: number): Promise<StoredTotp | null> {
  const row = await em.fork().findOne(UserTotp, { user: userId }, { populate: ['secretEncrypted'] });
  return row ? { secretEncrypted: row.secretEncrypted, confirmed: row.confirmedAt != null } : null;
}

/** Whether the user has a confirmed authenticator (readable without the secret key). */
export async function twoFactorEnrolled(em: EntityManager, userId: number): Promise<boolean> {
  return (await em.fork().count(UserTotp, { user: userId, confirmedAt: { $ne: null } })) > 0;
}

/**
 * Stores a new, unconfirmed secret unless one is waiting already (then that one stays, so reloading
 * the enrolment page does not invalidate a QR code already scanned). Returns the stored secret, or
 * null when the user has a confirmed authenticator (which only disabling or a reset removes).
 */
export async function storePendingSecret(
  em: EntityManager,
  userId: number,
  secretEncrypted: string,
): Promise<StoredTotp | null> {
  const fork = em.fork();
  const existing = await findTotp(fork, userId);
  if (existing) return existing.confirmed ? null : existing;
  try {
    await fork.insert(UserTotp, { user: userId, secretEncrypted });
  } catch (error) {
    // Two enrolment pages opened at once: the unique user_id index let one insert in; use that one.
    const winner = await findTotp(fork, userId);
    if (!winner) throw error;
    return winner.confirmed ? null : winner;
  }
  return { secretEncrypted, confirmed: false };
}

/**
 * Confirms the pending authenticator with the step of the code that proved it, and replaces the
 * recovery codes, in one transaction. False when there was no pending authenticator (confirmed
 * meanwhile by a parallel request, or removed).
 * The change is audited in the same transaction (whoever enrolled is `actor`, the user themselves).
 */
export async function confirmTotp(
  em: EntityManager,
  userId: number,
  step: number,
  recoveryCodeHashes: readonly string[],
  actor: AuditActor,
): Promise<boolean> {
  return em.fork().transactional(async (tx) => {
    const confirmed = await tx.nativeUpdate(
      UserTotp,
      { user: userId, confirmedAt: null },
      { confirmedAt: new Date(), lastUsedStep: step },
    );
    if (confirmed !== 1) return false;
    await tx.nativeDelete(RecoveryCode, { user: userId });
    await tx.insertMany(
      RecoveryCode,
      recoveryCodeHashes.map((codeHash) => ({ user: userId, codeHash })),
    );
    auditTwoFactorChange(tx, actor, 'enable_two_factor', userId);
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
