import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { Orm } from '@tandem/models';
import { decryptPrivateJwk } from './key-encryption.js';
import { loadPublishedKeys } from './key-store.js';
import { buildJwks, type JwksDocument } from './jwks.js';

export interface ActiveSigningKey {
  readonly kid: string;
  /** Imported once per key and reused for every signature (no per-request import). */
  readonly key: KeyObject;
}

export class NoSigningKeyError extends Error {
  override name = 'NoSigningKeyError';
  constructor() {
    super(
      'no current signing key in the database (the auth service creates one on start; or run `tandem keys rotate`)',
    );
  }
}

/**
 * What a running auth service holds in memory: the current private key (decrypted and imported once,
 * re-imported only when the current kid changes) and the JWKS document for the published keys.
 * `refresh()` re-reads the database, so a rotation done by the CLI is picked up without a restart.
 */
export class SigningKeyRing {
  private active: ActiveSigningKey | undefined;
  private document: JwksDocument = { keys: [] };
  private documentJson = '{"keys":[]}';

  constructor(private readonly secretKey: string) {}

  async refresh(em: Orm['em']): Promise<void> {
    const { published, current } = await loadPublishedKeys(em);
    if (!current) throw new NoSigningKeyError();
    if (this.active?.kid !== current.kid) {
      const jwk = decryptPrivateJwk(current.privateKeyEncrypted, current.kid, this.secretKey);
      this.active = {
        kid: current.kid,
        key: createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
      };
    }
    this.document = buildJwks(published);
    this.documentJson = JSON.stringify(this.document);
  }

  /** The key that signs now; throws until the first successful refresh. */
  signingKey(): ActiveSigningKey {
    if (!this.active) throw new NoSigningKeyError();
    return this.active;
  }

  jwks(): JwksDocument {
    return this.document;
  }

  /** The JWKS serialized once per refresh, not per request. */
  jwksJson(): string {
    return this.documentJson;
  }
}
