import { createHash } from 'node:crypto';

/**
 * A short fingerprint of a user's stored password hash (as Django's session auth hash): a half-done
 * sign-in carries the stamp of the password it checked, and a step after it compares that with the
 * user's current one. A password change or reset makes every such sign-in stale, so an attacker who
 * got past the password step with a stolen password cannot finish the second step (an enrolment, a
 * code) after the owner changed it. One-way over a salted slow hash: it reveals nothing to reuse.
 */
export function credentialStamp(passwordHash: string, secondFactorSince: Date | null = null): string {
  // A logged-in admin session's stamp also covers the second factor (`secondFactorSince`: when the
  // user's authenticator was confirmed, null without one), so turning it on, off or resetting it ends
  // the user's other sessions as a password change does: a session stolen before 2FA was turned on
  // does not outlive it. A half-done sign-in's stamp covers the password only.
  const factor = secondFactorSince === null ? '' : `:${secondFactorSince.toISOString()}`;
  return createHash('sha256')
    .update(`tandem-credential-stamp:${passwordHash}${factor}`)
    .digest('base64url')
    .slice(0, 22);
}
