import { createHmac, randomInt } from 'node:crypto';
import { deriveKey } from '@tandem/tokens';

/**
 * Ten single-use recovery codes per enrolment, for a lost phone. Each has 10 characters from a
 * 31-letter alphabet without look-alikes (no 0/o, 1/l/i): about 49.5 bits, far beyond what the
 * throttle lets anyone guess. They are stored only as keyed HMACs (key derived from TANDEM_SECRET_KEY,
 * purpose "recovery-code-hmac"): with that much entropy a slow password hash buys nothing, and a
 * stolen database alone does not yield them.
 */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const LENGTH = 10;

/** `xxxxx-xxxxx`: readable, and typed back in any case, with or without the dash or spaces. */
export function newRecoveryCodes(count: number = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const chars = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${chars.slice(0, LENGTH / 2)}-${chars.slice(LENGTH / 2)}`;
  });
}

/** The one spelling that is hashed: lower case, no dashes or whitespace. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]+/g, '');
}

export class RecoveryCodeHasher {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    this.key = deriveKey(secretKey, 'recovery-code-hmac');
  }

  /** Hex HMAC-SHA256 of the normalized code; looked up by equality, so no comparison of secrets in JS. */
  hash(code: string): string {
    return createHmac('sha256', this.key).update(normalizeRecoveryCode(code), 'utf8').digest('hex');
  }
}
