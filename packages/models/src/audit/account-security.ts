import type { EntityManager } from '@mikro-orm/core';
import { HIDDEN_VALUE, recordAudit, type AuditActor } from './record-audit.js';

/**
 * Changes to how an account signs in, as they appear in the user's history. Every writer (the admin,
 * the auth service's sign-in pages, the `tandem` commands) records them through here, so the history
 * reads the same whoever made the change. The diffs say what changed, never the secret itself.
 */

/** What a new account was created with (never its password: that it has one). */
export interface CreatedAccount {
  readonly id: number;
  readonly email: string;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
  readonly isActive: boolean;
  /** Role names. */
  readonly roles: readonly string[];
}

/** An account created by a `tandem` command (createuser, createsuperuser, `start`'s first superuser). */
export function auditAccountCreation(tx: EntityManager, actor: AuditActor, account: CreatedAccount): void {
  recordAudit(tx, {
    actor,
    action: 'create',
    model: 'User',
    recordId: account.id,
    diff: {
      email: { before: null, after: account.email },
      isStaff: { before: null, after: account.isStaff },
      isSuperuser: { before: null, after: account.isSuperuser },
      isActive: { before: null, after: account.isActive },
      ...(account.roles.length > 0 && { roles: { before: null, after: [...account.roles] } }),
      password: { before: null, after: '(set)' },
    },
  });
}

/** A new password, set by the user, by staff or by `tandem changepassword`. */
export function auditPasswordChange(tx: EntityManager, actor: AuditActor, userId: number): void {
  recordAudit(tx, {
    actor,
    action: 'change_password',
    model: 'User',
    recordId: userId,
    diff: { password: { before: HIDDEN_VALUE, after: '(changed)' } },
  });
}

export type TwoFactorChange = 'enable_two_factor' | 'disable_two_factor' | 'reset_two_factor';

/** Two-factor sign-in turned on (an authenticator confirmed) or off (disabled, or reset by a command). */
export function auditTwoFactorChange(
  tx: EntityManager,
  actor: AuditActor,
  change: TwoFactorChange,
  userId: number,
): void {
  const on = change === 'enable_two_factor';
  recordAudit(tx, {
    actor,
    action: change,
    model: 'User',
    recordId: userId,
    diff: { twoFactor: { before: on ? 'off' : 'on', after: on ? 'on' : 'off' } },
  });
}

/** How a `tandem` command is named as the actor of a change (no user is signed in at a terminal). */
export function commandActor(command: string): AuditActor {
  return { email: `command:${command}` };
}
