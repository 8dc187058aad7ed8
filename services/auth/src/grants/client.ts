import { randomUUID } from 'node:crypto';
import { Client, Session, type Orm } from '@tandem/models';
import { clientSubject, formatScope, grantScope } from '@tandem/tokens';
import type { AuthDeps } from '../deps.js';
import type { AuthenticatedClient } from '../client-auth.js';
import { OAuthError } from '../oauth-error.js';
import type { Grant } from './types.js';

/** last_used_at of a client session is refreshed at most this often (not a write per token). */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * A machine client's tokens share one session (the `sid` to revoke them all) until it is revoked or
 * expires; then the next grant opens a new one. Idle and absolute lifetimes apply as for users.
 */
async function clientSessionId(em: Orm['em'], deps: AuthDeps, client: AuthenticatedClient, now: Date): Promise<string> {
  const { sessionAbsoluteTtlSeconds, sessionIdleTtlSeconds } = deps.config.tokens;
  const live = await em.findOne(
    Session,
    {
      client: client.id,
      revokedAt: null,
      expiresAt: { $gt: now },
      lastUsedAt: { $gt: new Date(now.getTime() - sessionIdleTtlSeconds * 1000) },
    },
    { orderBy: { createdAt: 'desc' }, fields: ['id', 'lastUsedAt'] },
  );
  if (live) {
    if (now.getTime() - live.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await em.nativeUpdate(Session, { id: live.id }, { lastUsedAt: now });
    }
    return live.id;
  }
  const session = em.create(Session, {
    id: randomUUID(),
    client: em.getReference(Client, client.id),
    grantType: 'client_credentials',
    scope: formatScope(client.scopes),
    createdAt: now,
    lastUsedAt: now,
    expiresAt: new Date(now.getTime() + sessionAbsoluteTtlSeconds * 1000),
  });
  await em.flush();
  return session.id;
}

/** RFC 6749 §4.4 client credentials: an authenticated, active client; no refresh token. */
export const clientCredentialsGrant: Grant = async ({ deps, params, client }) => {
  if (!client) {
    throw new OAuthError('invalid_client', 'Client authentication failed.', {
      'WWW-Authenticate': 'Basic realm="tandem", charset="UTF-8"',
    });
  }
  const decision = grantScope(params.get('scope'), client.scopes);
  if (!decision.ok) throw new OAuthError('invalid_scope', 'The requested scope is invalid or exceeds what this client may obtain.');
  const now = new Date();
  const sid = await clientSessionId(deps.orm.em.fork(), deps, client, now);
  const scope = formatScope(decision.scopes);
  const { token } = await deps.signer.sign({ sub: clientSubject(client.clientId), scope, sid }, now.getTime());
  return { access_token: token, token_type: 'Bearer', expires_in: deps.signer.ttlSeconds, scope };
};
