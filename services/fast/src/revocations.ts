import type { SessionState } from '@tandem/changefeed';

/**
 * Revoked session ids (the `sid` claim), fed by the change feed. An entry is dropped at its
 * `keepUntilMs`: min(expires_at, revoked_at) plus the longest token life past its session (or, for a
 * deleted session, its deletion plus that window; @tandem/changefeed's revocationKeptUntilMs), when no
 * token of the session can be accepted any more.
 */
export class RevokedSessions {
  private readonly revoked = new Map<string, number>();

  /** @param onRevoked called once for each session that becomes revoked (its live sockets get closed). */
  constructor(private readonly onRevoked: (sid: string) => void) {}

  has(sid: string): boolean {
    // Usually none are revoked: then the sid string (cold memory, its hash read for the lookup) is
    // not touched at all on a request.
    return this.revoked.size !== 0 && this.revoked.has(sid);
  }

  get size(): number {
    return this.revoked.size;
  }

  apply(session: SessionState): void {
    if (session.revoked) {
      const isNew = !this.revoked.has(session.sid);
      this.revoked.set(session.sid, session.keepUntilMs);
      if (isNew) this.onRevoked(session.sid);
    } else {
      this.revoked.delete(session.sid);
    }
  }

  replaceAll(sessions: readonly SessionState[]): void {
    const previous = new Set(this.revoked.keys());
    this.revoked.clear();
    for (const s of sessions) {
      this.revoked.set(s.sid, s.keepUntilMs);
      if (!previous.has(s.sid)) this.onRevoked(s.sid);
    }
  }

  sweep(now: number): void {
    for (const [sid, keepUntilMs] of this.revoked) if (keepUntilMs <= now) this.revoked.delete(sid);
  }
}
