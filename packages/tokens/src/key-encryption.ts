import type { JWK } from 'jose';
import { SealedTextError, openSealedText, sealText, type SealContext } from './sealed-text.js';

/**
 * Private signing keys at rest: sealed (sealed-text.ts: AES-256-GCM, key derived from
 * TANDEM_SECRET_KEY for the purpose "signing-key-encryption") with the key's `kid` as additional
 * authenticated data, so a ciphertext copied onto another key row fails to decrypt. Losing
 * TANDEM_SECRET_KEY loses the private keys, and `tandem keys rotate` cannot replace them: it refuses a
 * key that cannot open the current one (key-check.ts), since that is far more often a wrong key than a
 * lost one; only with no current or next key left does auth create fresh ones. Anyone holding both the
 * database and the secret key can sign tokens; keep them apart.
 */
export class KeyDecryptionError extends Error {
  override name = 'KeyDecryptionError';
}

function context(kid: string, secretKey: string): SealContext {
  return { secretKey, purpose: 'signing-key-encryption', boundTo: kid };
}

export function encryptPrivateJwk(privateJwk: JWK, kid: string, secretKey: string): string {
  return sealText(JSON.stringify(privateJwk), context(kid, secretKey));
}

export function decryptPrivateJwk(stored: string, kid: string, secretKey: string): JWK {
  try {
    return JSON.parse(openSealedText(stored, context(kid, secretKey))) as JWK;
  } catch (error) {
    if (error instanceof SealedTextError && error.reason === 'format')
      throw new KeyDecryptionError(`signing key ${kid}: unknown encrypted key format`);
    throw new KeyDecryptionError(
      `signing key ${kid} cannot be decrypted: TANDEM_SECRET_KEY differs from the one that encrypted it (run every service with the key the signing keys were created with)`,
    );
  }
}
