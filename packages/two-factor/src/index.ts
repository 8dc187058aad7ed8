export {
  TwoFactor,
  OTP_AMR,
  ENROLMENT_TTL_SECONDS,
  newEnrolmentAttempt,
  type EnrolmentAttempt,
  type TwoFactorUser,
  type TwoFactorStatus,
  type TwoFactorOptions,
  type Enrolment,
  type CodeVerdict,
  type CodeRefusal,
  type ConfirmVerdict,
} from './two-factor.js';
export { matchingTotpStep, totpCodeAt, looksLikeTotpCode } from './totp.js';
export { RECOVERY_CODE_COUNT, newRecoveryCodes, normalizeRecoveryCode } from './recovery-codes.js';
export { twoFactorRequired } from './policy.js';
export { secondFactorDue, twoFactorEnrolled, removeTwoFactor as resetTwoFactor } from './two-factor-store.js';
