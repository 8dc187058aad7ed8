import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey, type KeyPurpose } from './derive-key.js';

/**
 * Secrets at rest (private signing keys, TOTP secrets): AES-256-GCM with a key derived by HKDF-SHA256
 * from TANDEM_SECRET_KEY for one purpose, a random 96-bit IV per value, and `boundTo` (the row the value
 * belongs to: a key's kid, a user's id) as additional authenticated data, so a ciphertext copied onto
 * another row fails to decrypt. Stored as `v1.<iv>.<ciphertext>.<tag>` (base64url), with a 12-byte IV
 * and a 16-byte tag: a value with any other length of either is refused as not in this format.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
/**
 * GCM's full 128-bit tag. Node accepts a shorter one (4 to 16 bytes) unless told the length, and a tag
 * cut to 4 bytes is forged with odds of 2^-32 per try: a stored value must carry all 16.
 */
const TAG_BYTES = 16;

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
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(context.secretKey, context.purpose), iv, {
    authTagLength: TAG_BYTES,
  });
  cipher.setAAD(Buffer.from(context.boundTo, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function openSealedText(stored: string, context: SealContext): string {
  const [version, ivText, ciphertext, tagText, ...rest] = stored.split('.');
  if (version !== VERSION || !ivText || !ciphertext || !tagText || rest.length > 0)
    throw new SealedTextError('format');
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SealedTextError('format');
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(context.secretKey, context.purpose), iv, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(context.boundTo, 'utf8'));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    return plain.toString('utf8');
  } catch {
    throw new SealedTextError('authentication');
  }
}
