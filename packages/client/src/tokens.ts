import { InvalidGrantError, NotSignedInError } from './errors.js';
import { NO_REDIRECTS, refuseRedirect } from './no-redirects.js';
import { basicAuthorization, requestToken, type ClientCredentials, type TokenSet } from './token-endpoint.js';

export interface TokenClientOptions {
  /** The auth service, e.g. http://127.0.0.1:8001 (its /oauth/token and /oauth/revoke are used). */
  readonly authUrl: string;
  readonly fetch?: typeof fetch;
  /** Renew this long before `expires_in` runs out, so a token does not expire in flight (30 s). */
  readonly expiryMarginMs?: number;
}

export interface PasswordLogin {
  readonly username: string;
  readonly password: string;
  /** Space-separated scopes; default: every scope the user's roles grant. */
  readonly scope?: string;
}

export interface ClientCredentialsLogin extends ClientCredentials {
  readonly scope?: string;
}

export type TokenListener = (tokens: TokenSet | undefined) => void;

/**
 * Access tokens for one principal. A person signs in once with `password()`; the client keeps the refresh
 * token (never the password) and renews the access token before it expires, storing the new refresh
 * token each time (rotation: the auth service accepts each refresh token once and revokes the whole
 * session when a used one is presented again). A machine client keeps its credentials and asks for a
 * new token with them (`client_credentials` issues no refresh token).
 *
 * Renewal is single-flight: however many requests need a new token at once, one refresh request is
 * sent and all of them wait for it. Two parallel refreshes with the same refresh token would be a
 * replay, and the auth service would revoke the session.
 */
export class TokenClient {
  private readonly fetchFn: typeof fetch;
  private readonly tokenUrl: string;
  private readonly revokeUrl: string;
  private readonly expiryMarginMs: number;
  private tokens: TokenSet | undefined;
  private machine: ClientCredentialsLogin | undefined;
  /**
   * The app (OAuth client) a resumed session's refresh token was issued to: the auth service binds a
   * refresh token to its client (RFC 9700 §4.14) and refuses, and revokes, one presented without it.
   */
  private refreshClientId: string | undefined;
  private renewal: Promise<TokenSet> | undefined;
  /** Bumped by every sign-in and sign-out, so that a renewal started before one cannot overwrite it. */
  private generation = 0;
  private readonly listeners = new Set<TokenListener>();

  constructor(options: TokenClientOptions) {
    const base = options.authUrl.replace(/\/+$/, '');
    this.tokenUrl = `${base}/oauth/token`;
    this.revokeUrl = `${base}/oauth/revoke`;
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.expiryMarginMs = options.expiryMarginMs ?? 30_000;
  }

  /** The tokens held now (undefined before sign-in or after sign-out / a dead session). */
  get current(): TokenSet | undefined {
    return this.tokens;
  }

  /** Called with the new tokens after every grant and refresh (e.g. to persist the refresh token). */
  onChange(listener: TokenListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** RFC 6749 §4.3: a person's username and password. */
  async password(login: PasswordLogin): Promise<TokenSet> {
    const generation = this.startSession(undefined);
    const params: Record<string, string> = {
      grant_type: 'password',
      username: login.username,
      password: login.password,
    };
    if (login.scope !== undefined) params.scope = login.scope;
    return this.store(generation, await requestToken(this.fetchFn, this.tokenUrl, params));
  }

  /** RFC 6749 §4.4: a machine client; the credentials are kept to get the next token when this one expires. */
  async clientCredentials(login: ClientCredentialsLogin): Promise<TokenSet> {
    const generation = this.startSession(login);
    return this.store(generation, await this.clientGrant(login));
  }

  /**
   * Resumes a session from a refresh token kept elsewhere (the first access token is fetched on use).
   * A token from the authorization code flow belongs to the app that exchanged the code: pass that
   * public client's `clientId`, which every refresh then sends (password-grant tokens need none).
   */
  useRefreshToken(refreshToken: string, options: { readonly clientId?: string } = {}): void {
    this.startSession(undefined);
    this.refreshClientId = options.clientId;
    this.tokens = { accessToken: '', refreshToken, expiresAt: 0, scope: '' };
  }

  /** A valid access token: the one held, or a renewed one when it is about to expire. */
  async accessToken(): Promise<string> {
    const held = this.tokens;
    if (held && held.accessToken && held.expiresAt - this.expiryMarginMs > Date.now())
      return held.accessToken;
    return (await this.renew()).accessToken;
  }

  /**
   * After a service refused `rejected` (401): a new token, unless another caller already replaced it,
   * in which case the replacement is returned without asking again.
   */
  async accessTokenAfterRejection(rejected: string): Promise<string> {
    const held = this.tokens;
    if (held && held.accessToken && held.accessToken !== rejected) return held.accessToken;
    return (await this.renew()).accessToken;
  }

  /** Renews now (refresh_token grant, or client_credentials again); concurrent calls share one request. */
  refresh(): Promise<TokenSet> {
    return this.renew();
  }

  /**
   * RFC 7009: revokes the session (its refresh token, hence every access token of it) and forgets the
   * tokens. A machine client's token is revoked with its credentials, an app's (public client) token
   * with its client_id: the auth service revokes a client's token only for that client (§2.1). A
   * redirect is not followed (the token would go with it): it throws, the tokens being forgotten still.
   */
  async revoke(): Promise<void> {
    const held = this.tokens;
    const machine = this.machine;
    const clientId = this.refreshClientId;
    this.startSession(undefined);
    this.emit();
    const token = held?.refreshToken ?? held?.accessToken;
    if (!token) return;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (machine) headers.authorization = basicAuthorization(machine);
    const response = await this.fetchFn(this.revokeUrl, {
      method: 'POST',
      headers,
      body: new URLSearchParams(
        machine || clientId === undefined ? { token } : { token, client_id: clientId },
      ).toString(),
      ...NO_REDIRECTS,
    });
    await response.arrayBuffer();
    refuseRedirect(response, 'revocation endpoint');
  }

  /** Forgets the tokens without telling the auth service. */
  signOut(): void {
    this.startSession(undefined);
    this.emit();
  }

  private startSession(machine: ClientCredentialsLogin | undefined): number {
    this.generation += 1;
    this.tokens = undefined;
    this.machine = machine;
    this.refreshClientId = undefined;
    this.renewal = undefined;
    return this.generation;
  }

  private store(generation: number, tokens: TokenSet): TokenSet {
    // A sign-in or sign-out happened while this request was out: its answer belongs to an old session.
    if (generation !== this.generation) return tokens;
    this.tokens = tokens;
    this.emit();
    return tokens;
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.tokens);
  }

  private clientGrant(login: ClientCredentialsLogin): Promise<TokenSet> {
    const params: Record<string, string> = { grant_type: 'client_credentials' };
    if (login.scope !== undefined) params.scope = login.scope;
    return requestToken(this.fetchFn, this.tokenUrl, params, login);
  }

  private renew(): Promise<TokenSet> {
    // The check and the assignment below run in one synchronous step: no await between them, so
    // concurrent callers cannot both find no renewal and start one each.
    if (this.renewal) return this.renewal;
    const renewal = this.startRenewal().finally(() => {
      if (this.renewal === renewal) this.renewal = undefined;
    });
    this.renewal = renewal;
    return renewal;
  }

  private async startRenewal(): Promise<TokenSet> {
    const generation = this.generation;
    if (this.machine) return this.store(generation, await this.clientGrant(this.machine));
    const refreshToken = this.tokens?.refreshToken;
    if (!refreshToken)
      throw new NotSignedInError('No session: sign in with tokens.password() or tokens.clientCredentials().');
    try {
      const params: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
      if (this.refreshClientId !== undefined) params.client_id = this.refreshClientId;
      const next = await requestToken(this.fetchFn, this.tokenUrl, params);
      return this.store(generation, next);
    } catch (error) {
      // The session is over (expired, revoked, or the token was replayed): keep nothing that cannot work.
      if (error instanceof InvalidGrantError && generation === this.generation) {
        this.tokens = undefined;
        this.emit();
      }
      throw error;
    }
  }
}
