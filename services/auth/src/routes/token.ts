import type { ServerResponse } from 'node:http';
import type { AuthDeps } from '../deps.js';
import { authenticateClient, readClientCredentials } from '../client-auth.js';
import { authorizationCodeGrant } from '../grants/authorization-code.js';
import { clientCredentialsGrant } from '../grants/client.js';
import { passwordGrant } from '../grants/password.js';
import { refreshGrant } from '../grants/refresh.js';
import type { Grant } from '../grants/types.js';
import { NO_STORE, OAuthError, sendOAuthError } from '../oauth-error.js';
import { readParams, type BodyRequest } from '../params.js';
import { sendJson } from '../send-json.js';

/** Grants this server supports (RFC 6749 grant_type values); also listed by the discovery document. */
export const GRANTS: ReadonlyMap<string, Grant> = new Map([
  ['authorization_code', authorizationCodeGrant],
  ['password', passwordGrant],
  ['refresh_token', refreshGrant],
  ['client_credentials', clientCredentialsGrant],
]);

/** A handler of one of the OAuth endpoints, after its body was read (see handler.ts). */
export type OAuthRoute = (req: BodyRequest, res: ServerResponse) => Promise<void>;

/** POST /oauth/token (RFC 6749 §3.2): dispatches on grant_type, answers §5.1 or §5.2. */
export function tokenRoute(deps: AuthDeps): OAuthRoute {
  return async (req, res) => {
    const stopTimer = deps.metrics.requestDuration.startTimer();
    let grantType = 'unknown';
    try {
      const params = readParams(req);
      const requested = params.get('grant_type');
      if (requested === undefined)
        throw new OAuthError('invalid_request', 'Parameter "grant_type" is required.');
      const grant = GRANTS.get(requested);
      if (!grant)
        throw new OAuthError(
          'unsupported_grant_type',
          `grant_type "${requested.slice(0, 40)}" is not supported.`,
        );
      grantType = requested;
      const credentials = readClientCredentials(req, params);
      const client = credentials ? await authenticateClient(deps, credentials) : undefined;
      const response = await grant({ deps, params, client, address: deps.clientAddress(req) });
      deps.metrics.tokensIssued.inc({ grant_type: grantType });
      sendJson(res, 200, NO_STORE, response);
    } catch (error) {
      if (!(error instanceof OAuthError)) {
        deps.metrics.tokenFailures.inc({ endpoint: 'token', grant_type: grantType, error: 'server_error' });
        throw error;
      }
      deps.metrics.tokenFailures.inc({ endpoint: 'token', grant_type: grantType, error: error.code });
      deps.logger.info({ grant_type: grantType, error: error.code }, 'token request refused');
      sendOAuthError(res, error);
    } finally {
      stopTimer({ grant_type: grantType });
    }
  };
}
