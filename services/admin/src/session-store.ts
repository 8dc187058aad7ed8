import session from 'express-session';
import type { Orm } from '@tandem/models';

type Callback<T = void> = (error?: unknown, value?: T) => void;

/**
 * express-session store in the `admin_sessions` table (created by the models' migrations), through
 * the ORM's own connection pool. Sessions survive an admin restart, and several admin processes can
 * share them. Expired rows are ignored on read and swept now and then.
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
        if (!row || Number(row.expires_at) <= Date.now()) return callback(null, null);
        callback(null, JSON.parse(row.data) as session.SessionData);
      }, callback);
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const row = { sid, data: JSON.stringify(data), expires_at: this.expiry(data) };
    this.knex('admin_sessions')
      .insert(row)
      .onConflict('sid')
      .merge(['data', 'expires_at'])
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    this.knex('admin_sessions')
      .where({ sid })
      .update({ expires_at: this.expiry(data) })
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
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
