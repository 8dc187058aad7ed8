import type { IncomingMessage } from 'node:http';
import type { Config } from '@tandem/config';
import type { AuthDeps } from './deps.js';
import { holdsNul } from './nul-values.js';
import { OAuthError } from './oauth-error.js';
import type { Params } from './params.js';
import type { SessionWindow } from './store.js';

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly method: 'client_secret_basic' | 'client_secret_post';
}

export interface AuthenticatedClient {
  readonly id: number;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** Grants it may use (clients.grant_types). */
  readonly grantTypes: readonly string[];
  /** Its newest live session (read in the same query), for the client_credentials grant. */
  readonly liveSession: { readonly id: string; readonly stale: boolean } | undefined;
}

/** last_used_at of a client session is refreshed at most this often (not a write per token). */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;

const invalidClient = (method?: ClientCredentials['method']) =>
  new OAuthError(
    'invalid_client',
    'Client authentication failed.',
    // Only a client that tried HTTP Basic is told to retry with it (RFC 6749 §5.2).
    method === 'client_secret_post' ? {} : { 'WWW-Authenticate': 'Basic realm="tandem", charset="UTF-8"' },
  );

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * Client credentials from HTTP Basic (client_secret_basic, RFC 6749 §2.3.1: id and secret are
 * form-urlencoded, then base64) or from the body (client_secret_post). Using both is invalid_request.
 * Undefined when the request carries no secret (a public client may still send a bare client_id).
 */
export function readClientCredentials(req: IncomingMessage, params: Params): ClientCredentials | undefined {
  const header = req.headers.authorization;
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  if (header !== undefined) {
    const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
    if (!match) throw invalidClient();
    if (bodySecret !== undefined)
      throw new OAuthError('invalid_request', 'Use one client authentication method, not two.');
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidClient();
    let clientId: string;
    let clientSecret: string;
    try {
      clientId = formDecode(decoded.slice(0, colon));
      clientSecret = formDecode(decoded.slice(colon + 1));
    } catch {
      throw invalidClient();
    }
    // The body's parameters are refused with U+0000 (params.ts); these arrive decoded from the header.
    if (holdsNul(clientId)) throw invalidClient();
    if (bodyId !== undefined && bodyId !== clientId)
      throw new OAuthError('invalid_request', 'client_id differs from the authenticated client.');
    return { clientId, clientSecret, method: 'client_secret_basic' };
  }
  if (bodySecret !== undefined) {
    if (bodyId === undefined) throw invalidClient('client_secret_post');
    return { clientId: bodyId, clientSecret: bodySecret, method: 'client_secret_post' };
  }
  return undefined;
}

/** Which sessions are live, and which to touch, as of `now` (the client lookups' query). */
export function clientSessionWindow(tokens: Config['tokens'], now: Date): SessionWindow {
  return {
    now,
    idleCutoff: new Date(now.getTime() - tokens.sessionIdleTtlSeconds * 1000),
    touchBefore: new Date(now.getTime() - SESSION_TOUCH_INTERVAL_MS),
  };
}

/**
 * Checks a client's credentials: unknown id, wrong secret and inactive client are the same
 * `invalid_client` and cost the same (one HMAC, one constant-time comparison).
 */
export async function authenticateClient(
  deps: AuthDeps,
  credentials: ClientCredentials,
): Promise<AuthenticatedClient> {
  const client =
    credentials.clientId.length <= 64 ? await deps.clientLookups.find(credentials.clientId) : undefined;
  const storedHash = client?.secretHash ?? '0'.repeat(64);
  const secretMatches = deps.clientSecrets.verify(credentials.clientSecret, storedHash);
  if (!client || !secretMatches || !client.isActive) throw invalidClient(credentials.method);
  return {
    id: client.id,
    clientId: client.clientId,
    scopes: client.scopes,
    grantTypes: client.grantTypes,
    liveSession: client.liveSession,
  };
}
