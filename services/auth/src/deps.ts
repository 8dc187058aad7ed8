import type { Config } from '@tandem/config';
import type { Logger } from '@tandem/log';
import type { Orm } from '@tandem/models';
import type { ClientAddressReader, LoginThrottle } from '@tandem/accounts';
import type { AccessTokenSigner, ClientSecretHasher, SigningKeyRing } from '@tandem/tokens';
import type { AuthMetrics } from './metrics.js';
import type { AuthStore } from './store.js';

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
  readonly throttle: LoginThrottle;
  /** The client's address (X-Forwarded-For only from TRUSTED_PROXIES): what the throttle counts by. */
  readonly clientAddress: ClientAddressReader;
  readonly metrics: AuthMetrics;
}
