import { normalizeEmail } from '@tandem/models';
import { userSubject } from '@tandem/tokens';

/**
 * OpenID Connect login_hint (Core §3.1.2.1): which account the client expects. Tandem reads it as an
 * email address, or as the `sub` of an ID token the client already has. It is only ever compared
 * with the browser's own sign-in, never looked up, so it tells nothing about other accounts:
 * - signed in as that account: no effect;
 * - signed in as another account: treated as not signed in, so `prompt=none` answers login_required
 *   (never a code for an account the client did not ask for) and otherwise the login page is shown,
 *   where signing in replaces the browser's sign-in;
 * - on the login page, an email hint fills in the email field (escaped like every value on the page);
 *   a `sub` hint fills in nothing.
 */

/** Whether the hint names this account (its email, compared as sign-in compares it, or its sub). */
export function hintNamesAccount(
  hint: string,
  account: { readonly id: number; readonly email: string },
): boolean {
  return hint === userSubject(account.id) || normalizeEmail(hint) === account.email;
}

/** What the login page's email field starts with: the hint when it is an email address. */
export function hintedEmail(hint: string | undefined): string | undefined {
  return hint !== undefined && hint.includes('@') ? hint : undefined;
}
