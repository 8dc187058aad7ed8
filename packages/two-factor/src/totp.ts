import { Secret, TOTP } from 'otpauth';

/**
 * TOTP as every authenticator app reads it (RFC 6238 defaults: HMAC-SHA1, 6 digits, 30-second steps),
 * through otpauth, which compares codes in constant time. A code is accepted for the current step and
 * one step either side (clock drift between the phone and the server).
 */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
const DRIFT_STEPS = 1;

/** Six ASCII digits; anything else (other digits, other lengths) is never passed to the comparison. */
const TOTP_CODE = /^[0-9]{6}$/;

/** A new 160-bit secret (RFC 4226's recommended length) in base32, as authenticator apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secretBase32: string, account = '', issuer = ''): TOTP {
  return new TOTP({
    issuer,
    label: account,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
  });
}

/** The `otpauth://totp/...` URI a QR code carries (Key Uri Format). */
export function totpUri(secretBase32: string, account: string, issuer: string): string {
  return totp(secretBase32, account, issuer).toString();
}

/** Whether `code` has the shape of a TOTP code (after removing spaces), rather than a recovery code. */
export function looksLikeTotpCode(code: string): boolean {
  return TOTP_CODE.test(code.replace(/\s+/g, ''));
}

/**
 * The time step whose code `code` is (current step ± drift), or null. Callers accept a step only once
 * (two-factor-store.ts claimTotpStep), so a code seen over a shoulder cannot be replayed.
 */
export function matchingTotpStep(
  secretBase32: string,
  code: string,
  nowMs: number = Date.now(),
): number | null {
  const token = code.replace(/\s+/g, '');
  if (!TOTP_CODE.test(token)) return null;
  const current = TOTP.counter({ period: PERIOD_SECONDS, timestamp: nowMs });
  const delta = totp(secretBase32).validate({ token, timestamp: nowMs, window: DRIFT_STEPS });
  return delta === null ? null : current + delta;
}

/** The code of a step (tests and the CLI's diagnostics; the server never needs to show one). */
export function totpCodeAt(secretBase32: string, nowMs: number = Date.now()): string {
  return totp(secretBase32).generate({ timestamp: nowMs });
}
