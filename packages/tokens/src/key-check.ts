import { SigningKey, type Orm } from '@tandem/models';
import { decryptPrivateJwk, KeyDecryptionError } from './key-encryption.js';

/**
 * Whether a secret key is the installation's: the one the services run with. Client-secret hashes
 * are one-way HMACs of secrets nobody here knows, so they prove nothing; the signing keys are the
 * artefact that does: the current one (else the next one) was sealed with the installation's key,
 * and only that key opens it. Checked before anything is written with a key, so a command given
 * another key (another working directory's `.data/secret.key`, a stale TANDEM_SECRET_KEY) refuses
 * instead of storing what the services can never read.
 */
export class SecretKeyMismatchError extends Error {
  override name = 'SecretKeyMismatchError';

  constructor(
    readonly kid: string,
    readonly state: 'current' | 'next',
  ) {
    super(
      `the secret key cannot decrypt the ${state} signing key ${kid}: it is not the key the signing keys were sealed with`,
    );
  }
}

/**
 * Throws SecretKeyMismatchError when `secretKey` cannot open the current signing key (or, with no
 * current key, the next one). No such key (a new installation): nothing to check against, passes.
 * `em` is a fork or a transaction, used as is, so a check inside a transaction reads what it writes.
 */
export async function assertSecretKeyOpensSigningKeys(em: Orm['em'], secretKey: string): Promise<void> {
  for (const state of ['current', 'next'] as const) {
    const key = await em.findOne(SigningKey, { state }, { populate: ['privateKeyEncrypted'] });
    if (!key?.privateKeyEncrypted) continue;
    try {
      decryptPrivateJwk(key.privateKeyEncrypted, key.kid, secretKey);
    } catch (error) {
      if (error instanceof KeyDecryptionError) throw new SecretKeyMismatchError(key.kid, state);
      throw error;
    }
    return;
  }
}
