import type { TwoFactorConfig } from '@tandem/config';

/** Whether this account must pass a second factor to sign in (TWO_FACTOR_REQUIRED_FOR_STAFF). */
export function twoFactorRequired(
  config: TwoFactorConfig,
  user: { readonly isStaff: boolean; readonly isSuperuser: boolean },
): boolean {
  return config.requiredForStaff && (user.isStaff || user.isSuperuser);
}
