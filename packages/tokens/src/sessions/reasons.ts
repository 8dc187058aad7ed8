/**
 * Why a session ended; stored in sessions.revoked_reason (varchar 40, no CHECK list) for the admin
 * and the logs, and counted by the auth service's revocation metric.
 */
export type RevocationReason =
  /** RFC 7009 revocation by its holder. */
  | 'revoked'
  /** A spent refresh token was presented again (it leaked), or lost a race for the same token. */
  | 'refresh_token_reuse'
  /** A refresh token bound to one client was presented by another client or by none (it leaked). */
  | 'refresh_token_wrong_client'
  /** Its client (the machine client, or the app its user signed in to) was deactivated. */
  | 'client_deactivated'
  /** Its user was deactivated (in the admin, or found inactive at a refresh). */
  | 'user_inactive'
  /** Its user's password was changed: whoever knew the old one must log in again. */
  | 'password_changed'
  /**
   * Its user turned two-factor sign-in on: whoever signed in with the password alone before (perhaps
   * the thief of that password) must sign in again, with the second factor.
   */
  | 'two_factor_enabled'
  /** Its user lost the staff flag. */
  | 'staff_removed'
  /** Its user's roles (or a role's scopes) no longer grant every scope the session holds. */
  | 'role_changed'
  /** Revoked by a staff member in the admin's session list. */
  | 'staff'
  /** Its user signed out at the auth service (OpenID Connect RP-initiated logout). */
  | 'logout'
  /** An authorization code was presented again: the session its first exchange started ends. */
  | 'code_reuse';

/**
 * The reasons a session's own holder ends it with: revoking its own token (RFC 7009) or signing out.
 * Every other reason is someone else's security decision (a password change, a deactivation, a leaked
 * token found, a staff member's revoke), which also voids what the session queued and was not applied.
 */
export const HOLDER_REVOCATION_REASONS: readonly RevocationReason[] = ['revoked', 'logout'];
