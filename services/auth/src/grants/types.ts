import type { AuthDeps } from '../deps.js';
import type { AuthenticatedClient } from '../client-auth.js';
import type { Params } from '../params.js';

export interface GrantRequest {
  readonly deps: AuthDeps;
  readonly params: Params;
  /** The authenticated client, when the request carried client credentials. */
  readonly client: AuthenticatedClient | undefined;
  /** The caller's address, for login throttling. */
  readonly address: string;
}

/** RFC 6749 §5.1 successful response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** OpenID Connect ID token (authorization_code with scope openid). */
  id_token?: string;
}

export type Grant = (request: GrantRequest) => Promise<TokenResponse>;
