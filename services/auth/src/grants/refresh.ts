import { RefreshToken, Session, User } from '@tandem/models';
import {
  formatScope,
  grantScope,
  hashRefreshToken,
  isSessionLive,
  looksLikeRefreshToken,
  parseScope,
  userSubject,
  type RevocationReason,
} from '@tandem/tokens';
import { OAuthError } from '../oauth-error.js';
import { requireParam } from '../params.js';
import { addRefreshToken, roleScopes } from './session.js';
import type { Grant } from './types.js';

const INVALID = 'The refresh token is invalid, expired or revoked.';

type Outcome =
  | { kind: 'issued'; sid: string; userId: number; scopes: string[]; refreshToken: string }
  | { kind: 'refused'; revoked?: { sid: string; reason: RevocationReason } };

/** Thrown inside the transaction to roll back the token's use (the client may retry with another scope). */
class ScopeRefused extends Error {}

/**
 * RFC 6749 §6 refresh. Refresh tokens are single use: the token is claimed with a conditional UPDATE
 * (`... where token_hash = ? and used_at is null`), so of two concurrent uses exactly one wins. Presenting
 * a token that was already used means it leaked (or a client misbehaves): the whole session (family)
 * is revoked, which also ends the newest refresh token and, via the change feed, the access tokens.
 * Scopes are re-checked against the user's roles on every refresh: a role losing a scope takes effect.
 */
export const refreshGrant: Grant = async ({ deps, params }) => {
  const presented = requireParam(params, 'refresh_token');
  const requestedScope = params.get('scope');
  if (!looksLikeRefreshToken(presented)) throw new OAuthError('invalid_grant', INVALID);
  const tokenHash = hashRefreshToken(presented);
  const now = new Date();
  const idleTtl = deps.config.tokens.sessionIdleTtlSeconds;

  let outcome: Outcome;
  try {
    outcome = await deps.orm.em.fork().transactional(async (tx): Promise<Outcome> => {
      const claimed = await tx.nativeUpdate(RefreshToken, { tokenHash, usedAt: null }, { usedAt: now });
      const row = await tx.findOne(RefreshToken, { tokenHash }, { populate: ['session'] });
      if (!row) return { kind: 'refused' };
      const session = row.session;
      if (claimed === 0) {
        const revoked = await tx.nativeUpdate(
          Session,
          { id: session.id, revokedAt: null },
          { revokedAt: now, revokedReason: 'refresh_token_reuse' },
        );
        return { kind: 'refused', revoked: revoked > 0 ? { sid: session.id, reason: 'refresh_token_reuse' } : undefined };
      }
      if (!isSessionLive(session, idleTtl, now) || !session.user) return { kind: 'refused' };
      const user = await tx.findOne(User, { id: session.user.id }, { populate: ['roles'] });
      if (!user || !user.isActive) {
        await tx.nativeUpdate(Session, { id: session.id, revokedAt: null }, { revokedAt: now, revokedReason: 'user_inactive' });
        return { kind: 'refused', revoked: { sid: session.id, reason: 'user_inactive' } };
      }
      const current = roleScopes(user);
      const allowed = (parseScope(session.scope) ?? []).filter((scope) => current.has(scope));
      const decision = grantScope(requestedScope, allowed);
      if (!decision.ok) throw new ScopeRefused();
      const refreshToken = addRefreshToken(tx, session, now);
      session.lastUsedAt = now;
      return { kind: 'issued', sid: session.id, userId: user.id, scopes: decision.scopes, refreshToken };
    });
  } catch (error) {
    if (error instanceof ScopeRefused)
      throw new OAuthError('invalid_scope', 'The requested scope exceeds what was granted or what your roles allow now.');
    throw error;
  }

  if (outcome.kind === 'refused') {
    if (outcome.revoked) {
      deps.metrics.revocations.inc({ reason: outcome.revoked.reason });
      deps.logger.warn({ sid: outcome.revoked.sid, reason: outcome.revoked.reason }, 'session revoked during refresh');
    }
    throw new OAuthError('invalid_grant', INVALID);
  }
  const scope = formatScope(outcome.scopes);
  const { token } = await deps.signer.sign({ sub: userSubject(outcome.userId), scope, sid: outcome.sid }, now.getTime());
  return { access_token: token, token_type: 'Bearer', expires_in: deps.signer.ttlSeconds, scope, refresh_token: outcome.refreshToken };
};
