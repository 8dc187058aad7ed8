import type { Config } from '@tandem/config';
import type { Logger } from '@tandem/log';
import type { Orm } from '@tandem/models';
import type { ClientAddressReader, LoginThrottle } from '@tandem/accounts';
import type { AccessTokenSigner, ClientSecretHasher, IdTokenSigner, SigningKeyRing } from '@tandem/tokens';
import type { BrowserCookies } from './authorize/cookies.js';
import type { CsrfGuard } from './authorize/csrf.js';
import type { FreshSignIns } from './authorize/fresh-sign-in.js';
import type { PendingSignIns } from './authorize/pending-sign-in.js';
import type { CorsPolicy } from './cors.js';
import type { TwoFactor } from '@tandem/two-factor';
import type { AuthMetrics } from './metrics.js';
import type { AuthStore } from './store.js';
import type { ClientLookups } from './client-lookups.js';
import type { CodeRedemptions } from './code-redemptions.js';

/** Everything a route or grant needs, built once by startAuth(). */
export interface AuthDeps {
  readonly config: Config;
  /** The issuer actually served (TOKEN_ISSUER, or the bound URL when the configured port was 0). */
  readonly issuer: string;
  readonly orm: Orm;
  /** Hand-written SQL for the hot grants. */
  readonly store: AuthStore;
  readonly logger: Logger;
  readonly keys: SigningKeyRing;
  readonly signer: AccessTokenSigner;
  readonly clientSecrets: ClientSecretHasher;
  /** Client lookups by public id, one query per event-loop turn (client_credentials and the token endpoint). */
  readonly clientLookups: ClientLookups;
  /**
   * Code exchanges read and claimed one statement per event-loop turn (PostgreSQL); undefined on
   * SQLite, whose exchanges read and claim step by step on the process's one connection.
   */
  readonly codeRedemptions: CodeRedemptions | undefined;
  readonly throttle: LoginThrottle;
  /** The client's address (X-Forwarded-For only from TRUSTED_PROXIES): what the throttle counts by. */
  readonly clientAddress: ClientAddressReader;
  readonly metrics: AuthMetrics;
  /** OpenID Connect ID tokens (same keys as the access tokens). */
  readonly idTokens: IdTokenSigner;
  /** The sign-in and CSRF cookies' names and attributes (`__Host-` on an https issuer). */
  readonly cookies: BrowserCookies;
  /** CSRF checks of the authorization page's forms. */
  readonly csrf: CsrfGuard;
  /** The consent form's proof that its sign-in was made for its request (prompt=login, max_age). */
  readonly freshSignIns: FreshSignIns;
  /** Sign-ins between two steps (password done, second factor not yet). */
  readonly pendingSignIns: PendingSignIns;
  /** Second factors on the authorization page (authorize/two-factor-step.ts). */
  readonly twoFactor: TwoFactor;
  /** Which web origins may call the OAuth endpoints from a browser. */
  readonly cors: CorsPolicy;
}
