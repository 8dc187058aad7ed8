import session from 'express-session';
import type { Orm } from '@tandem/models';

type Callback<T = void> = (error?: unknown, value?: T) => void;

/**
 * express-session store in the `admin_sessions` table (created by the models' migrations), through
 * the ORM's own connection pool. Sessions survive an admin restart, and several admin processes can
 * share them. A session ends its max age after login, however much it is used (the expiry is written
 * with the first save and never moved), so a stolen cookie cannot be kept alive by replaying it. An
 * expired row is refused and deleted when read; the others are swept now and then.
 */
export class DatabaseSessionStore extends session.Store {
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly orm: Orm,
    private readonly defaultMaxAgeMs: number,
    sweepEveryMs = 10 * 60 * 1000,
  ) {
    super();
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), sweepEveryMs);
    this.sweeper.unref();
  }

  private get knex() {
    return this.orm.em.getConnection().getKnex();
  }

  private expiry(data: session.SessionData): number {
    const expires = data.cookie?.expires;
    return expires ? new Date(expires).getTime() : Date.now() + this.defaultMaxAgeMs;
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.knex('admin_sessions')
      .select('data', 'expires_at')
      .where({ sid })
      .first()
      .then((row: { data: string; expires_at: number | string } | undefined) => {
        if (!row) return callback(null, null);
        if (Number(row.expires_at) > Date.now())
          return callback(null, JSON.parse(row.data) as session.SessionData);
        this.destroy(sid, (error) => callback(error, null));
      }, callback);
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const row = { sid, data: JSON.stringify(data), expires_at: this.expiry(data) };
    this.knex('admin_sessions')
      .insert(row)
      .onConflict('sid')
      // Only the data: the expiry stays the one the login's first save wrote.
      .merge(['data'])
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }

  /** express-session touches a session on every request; that must not extend its life. */
  override touch(_sid: string, _data: session.SessionData, callback?: Callback): void {
    callback?.();
  }

  override destroy(sid: string, callback?: Callback): void {
    this.knex('admin_sessions')
      .where({ sid })
      .delete()
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }

  async sweep(): Promise<number> {
    return this.knex('admin_sessions').where('expires_at', '<=', Date.now()).delete();
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
