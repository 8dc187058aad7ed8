import { createHash } from 'node:crypto';

/**
 * A short fingerprint of a user's stored password hash (as Django's session auth hash): a half-done
 * sign-in carries the stamp of the password it checked, and a step after it compares that with the
 * user's current one. A password change or reset makes every such sign-in stale, so an attacker who
 * got past the password step with a stolen password cannot finish the second step (an enrolment, a
 * code) after the owner changed it. One-way over a salted slow hash: it reveals nothing to reuse.
 */
export function credentialStamp(passwordHash: string): string {
  return createHash('sha256')
    .update(`tandem-credential-stamp:${passwordHash}`)
    .digest('base64url')
    .slice(0, 22);
}
