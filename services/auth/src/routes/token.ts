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

/**
 * The series a token request of each grant type (and 'unknown') updates, bound once: prom-client
 * otherwise validates and hashes the label object on every inc and observe.
 */
function seriesByGrant(deps: AuthDeps) {
  return new Map(
    [...GRANTS.keys(), 'unknown'].map((grantType) => [
      grantType,
      {
        issued: deps.metrics.tokensIssued.labels(grantType),
        duration: deps.metrics.requestDuration.labels(grantType),
      },
    ]),
  );
}

/** POST /oauth/token (RFC 6749 §3.2): dispatches on grant_type, answers §5.1 or §5.2. */
export function tokenRoute(deps: AuthDeps): OAuthRoute {
  const series = seriesByGrant(deps);
  return async (req, res) => {
    const started = performance.now();
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
      series.get(grantType)!.issued.inc();
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
      series.get(grantType)!.duration.observe((performance.now() - started) / 1000);
    }
  };
}
