import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey, type KeyPurpose } from './derive-key.js';

/**
 * Secrets at rest (private signing keys, TOTP secrets): AES-256-GCM with a key derived by HKDF-SHA256
 * from TANDEM_SECRET_KEY for one purpose, a random 96-bit IV per value, and `boundTo` (the row the value
 * belongs to: a key's kid, a user's id) as additional authenticated data, so a ciphertext copied onto
 * another row fails to decrypt. Stored as `v1.<iv>.<ciphertext>.<tag>` (base64url).
 */
const VERSION = 'v1';

export interface SealContext {
  readonly secretKey: string;
  readonly purpose: KeyPurpose;
  readonly boundTo: string;
}

/** A stored value that is not in the sealed format, or that this secret key and row cannot open. */
export class SealedTextError extends Error {
  override name = 'SealedTextError';

  constructor(readonly reason: 'format' | 'authentication') {
    super(
      reason === 'format'
        ? 'unknown encrypted format'
        : 'authentication failed (another TANDEM_SECRET_KEY, or another row)',
    );
  }
}

export function sealText(plain: string, context: SealContext): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(context.secretKey, context.purpose), iv);
  cipher.setAAD(Buffer.from(context.boundTo, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function openSealedText(stored: string, context: SealContext): string {
  const [version, iv, ciphertext, tag, ...rest] = stored.split('.');
  if (version !== VERSION || !iv || !ciphertext || !tag || rest.length > 0)
    throw new SealedTextError('format');
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      deriveKey(context.secretKey, context.purpose),
      Buffer.from(iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from(context.boundTo, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    return plain.toString('utf8');
  } catch {
    throw new SealedTextError('authentication');
  }
}
