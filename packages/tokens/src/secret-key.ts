import type { Config } from '@tandem/config';

/** The secret key is required for anything that touches signing keys or client secrets. */
export class MissingSecretKeyError extends Error {
  override name = 'MissingSecretKeyError';
  constructor() {
    super(
      'TANDEM_SECRET_KEY is not set: it encrypts signing keys at rest and keys client-secret hashes ' +
        '(at least 32 characters; `tandem start` creates one under the data directory).',
    );
  }
}

export function requireSecretKey(config: Pick<Config, 'secretKey'>): string {
  if (config.secretKey === undefined) throw new MissingSecretKeyError();
  return config.secretKey;
}
