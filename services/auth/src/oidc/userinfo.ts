import type { IncomingMessage, ServerResponse } from 'node:http';
import { Session } from '@tandem/models';
import { liveSessionWhere, liveWindow, parseSubject, scopeIncludes } from '@tandem/tokens';
import type { AuthDeps } from '../deps.js';
import { NO_STORE } from '../oauth-error.js';
import { sendJson } from '../send-json.js';
import { verifyOwnToken } from './access-token.js';

export const USERINFO_PATH = '/oauth/userinfo';

/** RFC 6750 §3 refusal: 401 with `WWW-Authenticate: Bearer` (and the error, when a token was sent). */
function refuse(
  res: ServerResponse,
  status: 401 | 403,
  error: string | undefined,
  description: string,
): void {
  const challenge = error === undefined ? 'Bearer realm="tandem"' : `Bearer realm="tandem", error="${error}"`;
  sendJson(
    res,
    status,
    { ...NO_STORE, 'WWW-Authenticate': challenge },
    { error: error ?? 'invalid_request', error_description: description },
  );
}

/**
 * GET or POST /oauth/userinfo (OpenID Connect Core §5.3): the signed-in user's claims for an access
 * token carrying `openid`, as long as its session is live and its user active (a revoked session
 * stops here at once, like at the fast service). `email` (with `email_verified: false`: Tandem does not
 * verify addresses) when the token carries the `email` scope.
 */
export function userinfoRoute(deps: AuthDeps): {
  get: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  post: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
} {
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(req.headers.authorization ?? '');
    if (!match)
      return refuse(res, 401, undefined, 'Send the access token as "Authorization: Bearer <token>".');
    const claims = await verifyOwnToken(deps, match[1]!, 'access');
    if (!claims) return refuse(res, 401, 'invalid_token', 'The access token is invalid or expired.');
    const subject = typeof claims.sub === 'string' ? parseSubject(claims.sub) : undefined;
    // A valid machine client's token (client_credentials) has no user to describe: 403, not "invalid",
    // so the client does not throw away a good token (RFC 6750 §3.1: insufficient_scope).
    if (subject?.kind !== 'user' || typeof claims.sid !== 'string')
      return refuse(
        res,
        403,
        'insufficient_scope',
        "userinfo describes a signed-in user: this token is a client's own (client_credentials), with no user.",
      );
    const scope = typeof claims.scope === 'string' ? claims.scope : '';
    if (!scopeIncludes(scope, 'openid'))
      return refuse(res, 403, 'insufficient_scope', 'The access token was not issued with scope openid.');
    const session = await deps.orm.em
      .fork()
      .findOne(
        Session,
        { id: claims.sid, ...liveSessionWhere(liveWindow(deps.config.tokens.sessionIdleTtlSeconds)) },
        { populate: ['user'] },
      );
    if (!session?.user || session.user.id !== subject.userId || !session.user.isActive)
      return refuse(res, 401, 'invalid_token', 'The access token was revoked.');
    const body: Record<string, unknown> = { sub: claims.sub };
    if (scopeIncludes(scope, 'email'))
      Object.assign(body, { email: session.user.email, email_verified: false });
    sendJson(res, 200, NO_STORE, body);
  };
  return { get: answer, post: answer };
}
