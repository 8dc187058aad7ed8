import { Client, Session } from '@tandem/models';
import type { AuthDeps } from '../deps.js';
import { authenticateClient, readClientCredentials } from '../client-auth.js';
import { OAuthError } from '../oauth-error.js';
import type { BodyRequest, Params } from '../params.js';

/** The client a token was issued to (clients.id), or the client asking to revoke it. */
export interface RevokeParty {
  readonly id: number;
  readonly isPublic: boolean;
}

const noClientAuthentication = () => new OAuthError('invalid_client', 'Client authentication failed.');

/**
 * Who asks (RFC 7009 §2.1): a confidential client by its credentials (wrong ones are invalid_client
 * before any token is looked at), a public client by a bare client_id, or nobody. A bare client_id of
 * a confidential, unknown or inactive client is invalid_client: naming a confidential client is not
 * authenticating as it.
 */
export async function revokeRequester(
  deps: AuthDeps,
  req: BodyRequest,
  params: Params,
): Promise<RevokeParty | undefined> {
  const credentials = readClientCredentials(req, params);
  if (credentials) {
    const client = await authenticateClient(deps, credentials);
    return { id: client.id, isPublic: false };
  }
  const named = params.get('client_id');
  if (named === undefined) return undefined;
  const client =
    named.length <= 64
      ? await deps.orm.em
          .fork()
          .findOne(Client, { clientId: named }, { fields: ['id', 'isPublic', 'isActive'] })
      : null;
  if (!client || !client.isPublic || !client.isActive) throw noClientAuthentication();
  return { id: client.id, isPublic: true };
}

/**
 * The client the session `sid` was issued to: a machine client's own session, or the app a code-flow
 * session was authorized for. Undefined when it has none (password grant) or no longer exists.
 */
export async function sessionClient(deps: AuthDeps, sid: string): Promise<RevokeParty | undefined> {
  const session = await deps.orm.em
    .fork()
    .findOne(Session, { id: sid }, { populate: ['client', 'authorizedClient'] });
  const owner = session?.client ?? session?.authorizedClient;
  return owner ? { id: owner.id, isPublic: owner.isPublic } : undefined;
}

/**
 * RFC 7009 §2.1: whether `requester` may revoke a token issued to `owner`. A token issued to no client
 * (password grant) may be revoked by whoever holds it. A client's token needs that client: with no
 * client at all the request is refused (invalid_client, 401: a confidential client must authenticate,
 * a public one name itself, as at the refresh grant); another client's request is answered 200 and
 * revokes nothing (the RFC's answer for a token the requester cannot revoke, revealing nothing).
 */
export function mayRevoke(owner: RevokeParty | undefined, requester: RevokeParty | undefined): boolean {
  if (owner === undefined) return true;
  if (requester === undefined) throw noClientAuthentication();
  return owner.id === requester.id;
}
