import { clientSubject, formatScope, grantScope, newSession } from '@tandem/tokens';
import type { AuthDeps } from '../deps.js';
import { clientSessionWindow, type AuthenticatedClient } from '../client-auth.js';
import { OAuthError } from '../oauth-error.js';
import type { Grant } from './types.js';

/**
 * A machine client's tokens share one session (the `sid` to revoke them all) until it is revoked or
 * expires; then the next grant opens a new one. Idle and absolute lifetimes apply as for users. The
 * lookup read no live session, but grants running at once all read that: the new session is stored
 * only if none is live by then, under the client's lock (liveOrNewClientSession), so they share one.
 */
async function clientSessionId(deps: AuthDeps, client: AuthenticatedClient, now: Date): Promise<string> {
  const live = client.liveSession;
  if (live) {
    if (live.stale) await deps.store.queries.touchSession(live.id, now);
    return live.id;
  }
  const session = newSession({ clientPk: client.id }, client.scopes, deps.config.tokens, now);
  const window = clientSessionWindow(deps.config.tokens, now);
  return deps.store.transaction((queries) => queries.liveOrNewClientSession(client.id, session, window));
}

/** RFC 6749 §4.4 client credentials: an authenticated, active client; no refresh token. */
export const clientCredentialsGrant: Grant = async ({ deps, params, client }) => {
  if (!client) {
    throw new OAuthError('invalid_client', 'Client authentication failed.', {
      'WWW-Authenticate': 'Basic realm="tandem", charset="UTF-8"',
    });
  }
  if (!client.grantTypes.includes('client_credentials'))
    throw new OAuthError('unauthorized_client', 'This client may not use the client_credentials grant.');
  const decision = grantScope(params.get('scope'), client.scopes);
  if (!decision.ok)
    throw new OAuthError(
      'invalid_scope',
      'The requested scope is invalid or exceeds what this client may obtain.',
    );
  const now = new Date();
  const sid = await clientSessionId(deps, client, now);
  const scope = formatScope(decision.scopes);
  const { token } = await deps.signer.sign(
    { sub: clientSubject(client.clientId), scope, sid },
    now.getTime(),
  );
  return { access_token: token, token_type: 'Bearer', expires_in: deps.signer.ttlSeconds, scope };
};
