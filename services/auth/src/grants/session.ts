import { randomUUID } from 'node:crypto';
import { RefreshToken, Session, User, type Orm } from '@tandem/models';
import { formatScope, hashRefreshToken, newRefreshToken } from '@tandem/tokens';
import type { TokenConfig } from '@tandem/config';

type Em = Orm['em'];

/** Starts a user's login session (a refresh-token family) and returns its id and first refresh token. */
export async function startUserSession(
  em: Em,
  userId: number,
  scopes: readonly string[],
  settings: Pick<TokenConfig, 'sessionAbsoluteTtlSeconds'>,
  now: Date,
): Promise<{ sid: string; refreshToken: string }> {
  return em.transactional(async (tx) => {
    const session = tx.create(Session, {
      id: randomUUID(),
      user: tx.getReference(User, userId),
      grantType: 'password',
      scope: formatScope(scopes),
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + settings.sessionAbsoluteTtlSeconds * 1000),
    });
    const refreshToken = addRefreshToken(tx, session, now);
    await tx.nativeUpdate(User, { id: userId }, { lastLoginAt: now });
    return { sid: session.id, refreshToken };
  });
}

/** Adds the next refresh token of a family (persisted at the next flush); returns the token itself. */
export function addRefreshToken(em: Em, session: Session, now: Date): string {
  const token = newRefreshToken();
  em.create(RefreshToken, { session, tokenHash: hashRefreshToken(token), createdAt: now, usedAt: null });
  return token;
}

/** Union of the scopes of a user's roles: what the user may be granted right now. */
export function roleScopes(user: User): Set<string> {
  return new Set(user.roles.getItems().flatMap((role) => role.scopes));
}
