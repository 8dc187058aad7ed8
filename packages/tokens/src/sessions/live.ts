/**
 * What "live" means for a session, in one place: not revoked, within its absolute lifetime and within
 * its idle lifetime. Every raw query that asks it (the auth service's hot paths) embeds this fragment;
 * an ORM query uses liveSessionWhere.
 */

/** The instants a live-session check compares against. */
export interface LiveWindow {
  readonly now: Date;
  /** Sessions idle since before this instant have expired. */
  readonly idleCutoff: Date;
}

/** `now` and its idle cut-off for a session idle lifetime in seconds. */
export function liveWindow(idleTtlSeconds: number, now: Date = new Date()): LiveWindow {
  return { now, idleCutoff: new Date(now.getTime() - idleTtlSeconds * 1000) };
}

/**
 * The SQL condition "the session aliased `alias` is live", with two `?` placeholders bound, in this
 * order, to `now` and `idleCutoff` (see liveBindings). Both dialects.
 */
export function liveSessionSql(alias: string): string {
  return `${alias}.revoked_at is null and ${alias}.expires_at > ? and ${alias}.last_used_at > ?`;
}

/** The bindings of liveSessionSql, in order, converted by the caller's dialect (`at`). */
export function liveBindings<T>(window: LiveWindow, at: (date: Date) => T): [T, T] {
  return [at(window.now), at(window.idleCutoff)];
}

/** liveSessionSql as a MikroORM filter on Session. */
export function liveSessionWhere(window: LiveWindow) {
  return {
    revokedAt: null,
    expiresAt: { $gt: window.now },
    lastUsedAt: { $gt: window.idleCutoff },
  } as const;
}
