import { Session, type Orm } from '@tandem/models';

/** Why a session ended; stored in sessions.revoked_reason for the admin and the logs. */
export type RevocationReason =
  'revoked' | 'refresh_token_reuse' | 'client_deactivated' | 'user_inactive' | 'staff';

/**
 * Revokes a session (and with it every refresh token of its family and, through the change feed, every
 * access token carrying its `sid`). Returns false when it was already revoked or does not exist.
 */
export async function revokeSession(
  em: Orm['em'],
  sessionId: string,
  reason: RevocationReason,
  now: Date = new Date(),
): Promise<boolean> {
  const changed = await em
    .fork()
    .nativeUpdate(Session, { id: sessionId, revokedAt: null }, { revokedAt: now, revokedReason: reason });
  return changed > 0;
}

/** Revokes every open session of a machine client (e.g. when it is deactivated). */
export async function revokeClientSessions(
  em: Orm['em'],
  clientPk: number,
  reason: RevocationReason,
  now: Date = new Date(),
): Promise<number> {
  return em
    .fork()
    .nativeUpdate(Session, { client: clientPk, revokedAt: null }, { revokedAt: now, revokedReason: reason });
}

/** Is a session usable at `now`: not revoked, within its absolute lifetime and its idle lifetime? */
export function isSessionLive(
  session: { revokedAt?: Date | null; expiresAt: Date; lastUsedAt: Date },
  idleTtlSeconds: number,
  now: Date = new Date(),
): boolean {
  if (session.revokedAt) return false;
  if (session.expiresAt.getTime() <= now.getTime()) return false;
  return session.lastUsedAt.getTime() + idleTtlSeconds * 1000 > now.getTime();
}
