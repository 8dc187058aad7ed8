/**
 * Login-throttle limits far above any test's parallel logins, for files that race logins against
 * something else (a password change, an account change) and must not be cut short by the throttle.
 */
export const THROTTLE_OUT_OF_THE_WAY: Readonly<Record<string, string>> = {
  LOGIN_THROTTLE_ATTEMPTS: '500',
  LOGIN_THROTTLE_ACCOUNT_ATTEMPTS: '500',
  LOGIN_THROTTLE_ADDRESS_ATTEMPTS: '500',
  LOGIN_THROTTLE_ACCOUNT_SIGN_INS: '500',
};
