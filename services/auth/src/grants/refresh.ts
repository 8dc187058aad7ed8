import {
  formatScope,
  grantScope,
  hashRefreshToken,
  looksLikeRefreshToken,
  newRefreshToken,
  parseScope,
  userSubject,
  type RevocationReason,
} from '@tandem/tokens';
import { OAuthError } from '../oauth-error.js';
import { requireParam } from '../params.js';
import type { Grant } from './types.js';

const INVALID = 'The refresh token is invalid, expired or revoked.';

type Outcome =
  | { kind: 'issued'; sid: string; userId: number; scopes: string[]; refreshToken: string }
  | { kind: 'refused'; revoked?: { sid: string; reason: RevocationReason } };

/** Thrown inside the transaction to roll back the token's use (the client may retry with another scope). */
class ScopeRefused extends Error {}

/**
 * RFC 6749 §6 refresh. Refresh tokens are single use: the token is claimed with a conditional UPDATE
 * (`... where token_hash = ? and used_at is null`), so of two concurrent uses exactly one wins (the
 * loser's UPDATE waits for the winner's row lock, then matches nothing). Presenting a token that was
 * already used means it leaked (or a client misbehaves): the whole session (family) is revoked, which
 * ends the newest refresh token too and, via the change feed, the session's access tokens.
 * Scopes are re-checked against the user's roles on every refresh: a role losing a scope takes effect.
 */
export const refreshGrant: Grant = async ({ deps, params }) => {
  const presented = requireParam(params, 'refresh_token');
  const requestedScope = params.get('scope');
  if (!looksLikeRefreshToken(presented)) throw new OAuthError('invalid_grant', INVALID);
  const tokenHash = hashRefreshToken(presented);
  const now = new Date();
  const idleCutoff = new Date(now.getTime() - deps.config.tokens.sessionIdleTtlSeconds * 1000);

  let outcome: Outcome;
  try {
    outcome = await deps.store.transaction(async (q): Promise<Outcome> => {
      const { claimed, session } = await q.claimRefreshToken(tokenHash, now, idleCutoff);
      if (!session) return { kind: 'refused' };
      if (!claimed) {
        const revoked = await q.revokeSession(session.sessionId, 'refresh_token_reuse', now);
        return {
          kind: 'refused',
          revoked: revoked > 0 ? { sid: session.sessionId, reason: 'refresh_token_reuse' } : undefined,
        };
      }
      if (!session.live || session.userId === null) return { kind: 'refused' };
      if (!session.userActive) {
        await q.revokeSession(session.sessionId, 'user_inactive', now);
        return { kind: 'refused', revoked: { sid: session.sessionId, reason: 'user_inactive' } };
      }
      const allowed = (parseScope(session.scope) ?? []).filter((scope) => session.roleScopes.has(scope));
      const decision = grantScope(requestedScope, allowed);
      if (!decision.ok) throw new ScopeRefused();
      const refreshToken = newRefreshToken();
      await q.rotateRefreshToken(session.sessionId, hashRefreshToken(refreshToken), now);
      return {
        kind: 'issued',
        sid: session.sessionId,
        userId: session.userId,
        scopes: decision.scopes,
        refreshToken,
      };
    });
  } catch (error) {
    if (error instanceof ScopeRefused)
      throw new OAuthError(
        'invalid_scope',
        'The requested scope exceeds what was granted or what your roles allow now.',
      );
    throw error;
  }

  if (outcome.kind === 'refused') {
    if (outcome.revoked) {
      deps.metrics.revocations.inc({ reason: outcome.revoked.reason });
      deps.logger.warn(
        { sid: outcome.revoked.sid, reason: outcome.revoked.reason },
        'session revoked during refresh',
      );
    }
    throw new OAuthError('invalid_grant', INVALID);
  }
  const scope = formatScope(outcome.scopes);
  const { token } = await deps.signer.sign(
    { sub: userSubject(outcome.userId), scope, sid: outcome.sid },
    now.getTime(),
  );
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_in: deps.signer.ttlSeconds,
    scope,
    refresh_token: outcome.refreshToken,
  };
};
