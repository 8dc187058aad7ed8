import { importJWK, type CryptoKey, type JWK } from 'jose';

export interface RemoteJwksOptions {
  /** Token issuer; its `/.well-known/openid-configuration` names the JWKS unless `jwksUrl` is given. */
  readonly issuer: string;
  readonly jwksUrl?: string | undefined;
  /** An unknown `kid` refetches at most once per this interval, however many tokens ask. */
  readonly minRefetchIntervalMs: number;
  readonly fetchTimeoutMs?: number;
  readonly now?: () => number;
}

export interface RemoteJwksStats {
  /** HTTP fetches of the JWKS (successful or not). */
  fetches: number;
  failures: number;
  /** Unknown-kid refetches refused by the rate bound. */
  refused: number;
}

/**
 * The issuer's signing keys, fetched over HTTP and kept in memory. Only Ed25519 signing keys are
 * accepted; a fetch that fails keeps the keys already known, so the auth service being down does not
 * stop verification of tokens signed with them. A successful fetch replaces the set, so a key the
 * issuer retired stops verifying at the next fetch.
 */
export class RemoteJwks {
  private keys = new Map<string, CryptoKey>();
  private jwksUri: string | undefined;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;
  readonly stats: RemoteJwksStats = { fetches: 0, failures: 0, refused: 0 };
  lastError: string | undefined;

  constructor(private readonly options: RemoteJwksOptions) {
    this.now = options.now ?? Date.now;
    this.jwksUri = options.jwksUrl;
  }

  get size(): number {
    return this.keys.size;
  }

  /** The key for `kid`; an unknown kid triggers one rate-bounded refetch. */
  async getKey(kid: string): Promise<CryptoKey | undefined> {
    const known = this.keys.get(kid);
    if (known) return known;
    await this.refresh(false);
    return this.keys.get(kid);
  }

  /**
   * Fetches the JWKS now (`force`, e.g. at start-up) or only if the last fetch is older than the
   * refetch interval. Concurrent callers share one fetch. Never throws: failures are counted and
   * `lastError` says why.
   */
  async refresh(force: boolean): Promise<boolean> {
    if (this.inflight) {
      await this.inflight;
      return true;
    }
    if (!force && this.now() - this.lastFetchAt < this.options.minRefetchIntervalMs) {
      this.stats.refused += 1;
      return false;
    }
    this.lastFetchAt = this.now();
    this.inflight = this.load().finally(() => {
      this.inflight = undefined;
    });
    await this.inflight;
    return true;
  }

  private async load(): Promise<void> {
    this.stats.fetches += 1;
    try {
      const uri = this.jwksUri ?? (await this.discover());
      const body = await this.fetchJson(uri);
      const list = (body as { keys?: unknown }).keys;
      if (!Array.isArray(list)) throw new Error(`${uri} is not a JWK Set (no "keys" array)`);
      const keys = new Map<string, CryptoKey>();
      for (const jwk of list as JWK[]) {
        if (!isEd25519SigningKey(jwk)) continue;
        keys.set(jwk.kid, (await importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'EdDSA')) as CryptoKey);
      }
      this.keys = keys;
      this.lastError = undefined;
    } catch (error) {
      this.stats.failures += 1;
      this.lastError = (error as Error).message;
    }
  }

  private async discover(): Promise<string> {
    const issuer = this.options.issuer.replace(/\/+$/, '');
    const url = `${issuer}/.well-known/openid-configuration`;
    const doc = (await this.fetchJson(url)) as { issuer?: unknown; jwks_uri?: unknown };
    // OpenID Connect Discovery §4.3: the document must name the issuer we asked.
    if (typeof doc.issuer !== 'string' || doc.issuer.replace(/\/+$/, '') !== issuer) {
      throw new Error(`${url} names issuer ${JSON.stringify(doc.issuer)}, expected ${issuer}`);
    }
    if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} has no jwks_uri`);
    this.jwksUri = doc.jwks_uri;
    return doc.jwks_uri;
  }

  private async fetchJson(url: string): Promise<unknown> {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.options.fetchTimeoutMs ?? 3000),
    });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    return response.json();
  }
}

function isEd25519SigningKey(jwk: JWK): jwk is JWK & { kid: string; x: string } {
  return (
    jwk.kty === 'OKP' &&
    jwk.crv === 'Ed25519' &&
    typeof jwk.kid === 'string' &&
    jwk.kid !== '' &&
    typeof jwk.x === 'string' &&
    jwk.d === undefined &&
    (jwk.use === undefined || jwk.use === 'sig') &&
    (jwk.alg === undefined || jwk.alg === 'EdDSA' || jwk.alg === 'Ed25519')
  );
}
