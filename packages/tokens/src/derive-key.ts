import { hkdfSync } from 'node:crypto';

/**
 * Purpose-bound 256-bit keys derived from TANDEM_SECRET_KEY with HKDF-SHA256 (RFC 5869). One secret
 * in the environment, a different key per use, so no key ever serves two purposes.
 */
export type KeyPurpose =
  | 'signing-key-encryption'
  | 'client-secret-hmac'
  | 'totp-secret-encryption'
  | 'recovery-code-hmac'
  | 'login-csrf'
  | 'sign-in-pending'
  | 'authorize-fresh-sign-in';

const SALT = 'tandem/hkdf-salt/v1';

export function deriveKey(secretKey: string, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, SALT, `tandem/${purpose}/v1`, 32));
}
