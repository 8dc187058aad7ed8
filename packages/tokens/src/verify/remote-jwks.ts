import { importJWK, type CryptoKey, type JWK } from 'jose';

const DEFAULT_REFRESH_INTERVAL_MS = 300_000;

export interface RemoteJwksOptions {
  /** Token issuer; its `/.well-known/openid-configuration` names the JWKS unless `jwksUrl` is given. */
  readonly issuer: string;
  readonly jwksUrl?: string | undefined;
  /**
   * After a successful fetch, an unknown `kid` refetches at most once per this interval, however many
   * tokens ask. Also the cap of the retry backoff below.
   */
  readonly minRefetchIntervalMs: number;
  /**
   * After a failed fetch: the first background retry comes this much later, each further one twice as
   * late (up to `minRefetchIntervalMs`); an unknown `kid` may refetch at once if the last attempt is at
   * least this old. Default 500 ms.
   */
  readonly retryInitialMs?: number;
  /**
   * After a successful fetch, the set is fetched again this much later even if no token asks for an
   * unknown kid: tokens signed with keys already held never trigger a fetch, so without this a key
   * the issuer removed (retired, or dropped because its private half leaked) would keep verifying
   * until a restart. Default 300,000 (5 minutes).
   */
  readonly refreshIntervalMs?: number;
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
 * issuer retired stops verifying at the next fetch: one comes `refreshIntervalMs` after the last
 * success at the latest, and tells `onKeysRemoved` listeners (the verifier's cache) which kids left.
 *
 * The rate bound on unknown-kid refetches only follows a successful fetch: after a failure (the auth
 * service down or not started yet) the set is fetched again in the background with a doubling
 * backoff, and a token with an unknown kid may refetch at once, so tokens are accepted as soon as the
 * issuer answers rather than one whole refetch interval later.
 */
export class RemoteJwks {
  private keys = new Map<string, CryptoKey>();
  private jwksUri: string | undefined;
  /** Start of the last fetch that succeeded (the unknown-kid rate bound counts from it). */
  private lastSuccessAt = Number.NEGATIVE_INFINITY;
  /** Start of the last fetch, successful or not. */
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  /** Whether the last fetch failed. */
  private failing = false;
  private readonly retryInitialMs: number;
  private retryDelayMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly refreshIntervalMs: number;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly removalListeners: ((kids: ReadonlySet<string>) => void)[] = [];
  private stopped = false;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;
  readonly stats: RemoteJwksStats = { fetches: 0, failures: 0, refused: 0 };
  lastError: string | undefined;

  constructor(private readonly options: RemoteJwksOptions) {
    this.now = options.now ?? Date.now;
    this.jwksUri = options.jwksUrl;
    this.retryInitialMs = options.retryInitialMs ?? 500;
    this.retryDelayMs = this.retryInitialMs;
    this.refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
    if (!(this.refreshIntervalMs > 0)) throw new RangeError('refreshIntervalMs must be positive');
  }

  get size(): number {
    return this.keys.size;
  }

  /** Whether a fetch has ever succeeded: until then an unknown kid says nothing about the token. */
  get loaded(): boolean {
    return this.lastSuccessAt !== Number.NEGATIVE_INFINITY;
  }

  /** Whether the set held now has `kid` (no fetch). */
  holds(kid: string): boolean {
    return this.keys.has(kid);
  }

  /**
   * `listener` is called, once per fetch, with the kids a successful fetch found no longer published:
   * whatever was verified with them must not be trusted any longer.
   */
  onKeysRemoved(listener: (kids: ReadonlySet<string>) => void): void {
    this.removalListeners.push(listener);
  }

  /** The key for `kid`; an unknown kid triggers one rate-bounded refetch. */
  async getKey(kid: string): Promise<CryptoKey | undefined> {
    const known = this.keys.get(kid);
    if (known) return known;
    await this.refresh(false);
    return this.keys.get(kid);
  }

  /**
   * Fetches the JWKS now (`force`, e.g. at start-up) or only if the rate bound allows: the last
   * successful fetch is older than the refetch interval, or the last fetch failed and is older than
   * the initial retry delay. Concurrent callers share one fetch. Never throws: failures are counted,
   * `lastError` says why, and a retry is scheduled.
   */
  async refresh(force: boolean): Promise<boolean> {
    if (this.inflight) {
      await this.inflight;
      return true;
    }
    if (!force && !this.mayRefetch()) {
      this.stats.refused += 1;
      return false;
    }
    this.inflight = this.load().finally(() => {
      this.inflight = undefined;
    });
    await this.inflight;
    return true;
  }

  /** Stops the background retries and refreshes (the service is shutting down). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  private mayRefetch(): boolean {
    const now = this.now();
    return this.failing
      ? now - this.lastAttemptAt >= this.retryInitialMs
      : now - this.lastSuccessAt >= this.options.minRefetchIntervalMs;
  }

  /** After a failure: one pending retry at a time, each one twice as late, capped at the refetch interval. */
  private scheduleRetry(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.refresh(true);
    }, this.retryDelayMs);
    this.retryTimer.unref();
    this.retryDelayMs = Math.min(
      this.retryDelayMs * 2,
      Math.max(this.retryInitialMs, this.options.minRefetchIntervalMs),
    );
  }

  /** After a success: the next fetch, one refresh interval later (replacing any pending one). */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (this.stopped) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh(true);
    }, this.refreshIntervalMs);
    this.refreshTimer.unref();
  }

  private async load(): Promise<void> {
    this.stats.fetches += 1;
    const startedAt = this.now();
    this.lastAttemptAt = startedAt;
    let keys: Map<string, CryptoKey>;
    try {
      keys = await this.fetchKeys();
    } catch (error) {
      // The keys held stay: auth being down (briefly or since start-up) must not lock everyone out.
      this.stats.failures += 1;
      this.lastError = (error as Error).message;
      this.failing = true;
      this.scheduleRetry();
      return;
    }
    const removed = new Set([...this.keys.keys()].filter((kid) => !keys.has(kid)));
    this.keys = keys;
    this.lastError = undefined;
    this.lastSuccessAt = startedAt;
    this.failing = false;
    this.retryDelayMs = this.retryInitialMs;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.scheduleRefresh();
    if (removed.size > 0) for (const listener of this.removalListeners) listener(removed);
  }

  private async fetchKeys(): Promise<Map<string, CryptoKey>> {
    const uri = this.jwksUri ?? (await this.discover());
    const body = await this.fetchJson(uri);
    const list = (body as { keys?: unknown }).keys;
    if (!Array.isArray(list)) throw new Error(`${uri} is not a JWK Set (no "keys" array)`);
    const keys = new Map<string, CryptoKey>();
    for (const jwk of list as JWK[]) {
      if (!isEd25519SigningKey(jwk)) continue;
      keys.set(jwk.kid, (await importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'EdDSA')) as CryptoKey);
    }
    return keys;
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
