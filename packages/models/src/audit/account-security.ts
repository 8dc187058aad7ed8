import type { EntityManager } from '@mikro-orm/core';
import { recordAudit, type AuditActor } from './record-audit.js';

/**
 * Changes to how an account signs in, as they appear in the user's history. Every writer (the admin,
 * the auth service's sign-in pages, the `tandem` commands) records them through here, so the history
 * reads the same whoever made the change. The diffs say what changed, never the secret itself.
 */

/** A new password, set by the user, by staff or by `tandem changepassword`. */
export function auditPasswordChange(tx: EntityManager, actor: AuditActor, userId: number): void {
  recordAudit(tx, {
    actor,
    action: 'change_password',
    model: 'User',
    recordId: userId,
    diff: { password: { before: '(hidden)', after: '(changed)' } },
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
