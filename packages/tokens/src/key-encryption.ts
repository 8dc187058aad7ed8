import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { deriveKey } from './derive-key.js';

/**
 * Private signing keys at rest: AES-256-GCM with a key derived by HKDF-SHA256 from TANDEM_SECRET_KEY
 * (purpose "signing-key-encryption"), a random 96-bit IV per key, and the key's `kid` as additional
 * authenticated data, so a ciphertext copied onto another key row fails to decrypt. Stored as
 * `v1.<iv>.<ciphertext>.<tag>` (base64url). Losing TANDEM_SECRET_KEY loses the private keys: rotate
 * (`tandem keys rotate` after setting a new key creates fresh ones). Anyone holding both the database
 * and the secret key can sign tokens; keep them apart.
 */
const VERSION = 'v1';

export class KeyDecryptionError extends Error {
  override name = 'KeyDecryptionError';
}

export function encryptPrivateJwk(privateJwk: JWK, kid: string, secretKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secretKey, 'signing-key-encryption'), iv);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(privateJwk), 'utf8'), cipher.final()]);
  return [VERSION, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function decryptPrivateJwk(stored: string, kid: string, secretKey: string): JWK {
  const [version, iv, ciphertext, tag, ...rest] = stored.split('.');
  if (version !== VERSION || !iv || !ciphertext || !tag || rest.length > 0)
    throw new KeyDecryptionError(`signing key ${kid}: unknown encrypted key format`);
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      deriveKey(secretKey, 'signing-key-encryption'),
      Buffer.from(iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as JWK;
  } catch {
    throw new KeyDecryptionError(
      `signing key ${kid} cannot be decrypted: TANDEM_SECRET_KEY differs from the one that encrypted it (run \`tandem keys rotate\`)`,
    );
  }
}
