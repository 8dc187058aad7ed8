import type { DatabaseTarget } from '@tandem/config';
import type { Orm } from '@tandem/models';

/**
 * Hand-written SQL for the two hot paths (client_credentials and refresh_token), with bound
 * parameters and as few round trips as possible. The ORM's unit of work costs more than the queries
 * themselves (measured: ~2,000 findOne/s against ~19,000 raw selects/s), and these grants must reach
 * thousands of tokens per second. Everything else (password grant, revocation, keys) uses the ORM.
 * Both dialects: SQLite stores datetimes as epoch milliseconds (as MikroORM writes them), PostgreSQL
 * as timestamptz.
 */

/** "Now" and the cut-offs that decide whether a session is live and whether to touch it. */
export interface SessionWindow {
  readonly now: Date;
  /** Sessions idle since before this instant have expired. */
  readonly idleCutoff: Date;
  /** A live session last used before this instant gets its last_used_at refreshed. */
  readonly touchBefore: Date;
}

export interface ClientRow {
  readonly id: number;
  readonly clientId: string;
  readonly secretHash: string;
  readonly scopes: string[];
  readonly isActive: boolean;
  /** Its newest live session; `stale` when last_used_at is older than the window's touchBefore. */
  readonly liveSession: { readonly id: string; readonly stale: boolean } | undefined;
}

export interface RefreshTokenSession {
  readonly sessionId: string;
  readonly userId: number | null;
  readonly scope: string;
  /** Not revoked, within its absolute and idle lifetimes. */
  readonly live: boolean;
  /** The session's user exists and is active. */
  readonly userActive: boolean;
  /** Union of the scopes of the user's roles now. */
  readonly roleScopes: ReadonlySet<string>;
}

type Row = Record<string, unknown>;
/** MikroORM's knex instance (a transaction is one too), typed without depending on knex directly. */
type Db = ReturnType<Orm['em']['getKnex']>;
type Bindings = Parameters<Db['raw']>[1];

function rowsOf(result: unknown): Row[] {
  if (Array.isArray(result)) return result as Row[];
  return ((result as { rows?: Row[] }).rows ?? []) as Row[];
}

function affectedOf(result: unknown): number {
  const value = result as { rowCount?: number | null; changes?: number };
  return Number(value.rowCount ?? value.changes ?? 0);
}

function jsonList(value: unknown): string[] {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
}

interface SqliteConnection {
  prepare(sql: string): { all(...bindings: unknown[]): Row[] };
}
interface PgConnection {
  query(query: { name: string; text: string; values: unknown[] }): Promise<{ rows: Row[] }>;
}

/** better-sqlite3 statements prepared once per connection (knex prepares every query again). */
const sqliteStatements = new WeakMap<object, Map<string, ReturnType<SqliteConnection['prepare']>>>();

/** Queries bound to a connection or to a transaction. */
export class AuthQueries {
  constructor(
    private readonly db: Db,
    private readonly dialect: DatabaseTarget['dialect'],
    /** True for the pool (not a transaction): the hottest read may take a pooled connection directly. */
    private readonly pooled = false,
  ) {}

  /**
   * The hottest read (every client_credentials grant) as a prepared statement on a connection taken
   * from knex's own pool: a statement cached per SQLite connection, a named (server-side prepared)
   * statement on PostgreSQL. Going through the pool keeps knex's semantics (a connection held by a
   * transaction is waited for, never shared); it skips knex's per-query SQL formatting and, on SQLite,
   * the per-query prepare, which together cost more than the query itself.
   */
  private async preparedRows(name: string, sql: string, bindings: unknown[]): Promise<Row[]> {
    if (!this.pooled) return this.rows(sql, bindings);
    const client = this.db.client;
    const connection: unknown = await client.acquireConnection();
    try {
      if (this.dialect === 'sqlite') {
        const sqlite = connection as SqliteConnection;
        let statements = sqliteStatements.get(sqlite);
        if (!statements) sqliteStatements.set(sqlite, (statements = new Map()));
        let statement = statements.get(name);
        if (!statement) statements.set(name, (statement = sqlite.prepare(sql)));
        return statement.all(...bindings);
      }
      let index = 0;
      const text = sql.replace(/\?/g, () => `$${++index}`);
      return (
        await (connection as PgConnection).query({ name: `tandem_auth_${name}`, text, values: bindings })
      ).rows;
    } finally {
      await client.releaseConnection(connection);
    }
  }

  private at(date: Date): number | Date {
    return this.dialect === 'sqlite' ? date.getTime() : date;
  }

  private async rows(sql: string, bindings: readonly unknown[]): Promise<Row[]> {
    return rowsOf(await this.db.raw(sql, bindings as Bindings));
  }

  private async run(sql: string, bindings: readonly unknown[]): Promise<number> {
    return affectedOf(await this.db.raw(sql, bindings as Bindings));
  }

  /**
   * A client by its public id, with its newest live session in the same query: the
   * client_credentials grant needs one round trip, not two.
   */
  async findClient(clientId: string, window: SessionWindow): Promise<ClientRow | undefined> {
    const [row] = await this.preparedRows(
      'find_client',
      `select c.id, c.client_id, c.secret_hash, c.scopes, c.is_active, s.id as sid,
              case when s.last_used_at < ? then 1 else 0 end as stale
       from clients c
       left join sessions s on s.id = (
         select s2.id from sessions s2
         where s2.client_id = c.id and s2.revoked_at is null and s2.expires_at > ? and s2.last_used_at > ?
         order by s2.created_at desc limit 1)
       where c.client_id = ?`,
      [this.at(window.touchBefore), this.at(window.now), this.at(window.idleCutoff), clientId],
    );
    if (!row) return undefined;
    return {
      id: Number(row.id),
      clientId: String(row.client_id),
      secretHash: String(row.secret_hash),
      scopes: jsonList(row.scopes),
      isActive: Boolean(row.is_active),
      liveSession: row.sid == null ? undefined : { id: String(row.sid), stale: Number(row.stale) === 1 },
    };
  }

  async insertSession(session: {
    id: string;
    userId: number | null;
    clientPk: number | null;
    grantType: 'password' | 'client_credentials';
    scope: string;
    now: Date;
    expiresAt: Date;
  }): Promise<void> {
    await this.run(
      `insert into sessions (id, user_id, client_id, grant_type, scope, created_at, last_used_at, expires_at)
       values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        session.id,
        session.userId,
        session.clientPk,
        session.grantType,
        session.scope,
        this.at(session.now),
        this.at(session.now),
        this.at(session.expiresAt),
      ],
    );
  }

  async touchSession(id: string, now: Date): Promise<void> {
    await this.run('update sessions set last_used_at = ? where id = ?', [this.at(now), id]);
  }

  /** Marks an unused refresh token used; 1 when this call won it, 0 when unknown or already used. */
  async claimRefreshToken(tokenHash: string, now: Date): Promise<number> {
    return this.run('update refresh_tokens set used_at = ? where token_hash = ? and used_at is null', [
      this.at(now),
      tokenHash,
    ]);
  }

  /**
   * The session of a refresh token with its user's active flag and current role scopes, in one query
   * (one row per role of the user).
   */
  async refreshTokenSession(
    tokenHash: string,
    now: Date,
    idleCutoff: Date,
  ): Promise<RefreshTokenSession | undefined> {
    const rows = await this.rows(
      `select s.id, s.user_id, s.scope, u.is_active, r.scopes as role_scopes,
              case when s.revoked_at is null and s.expires_at > ? and s.last_used_at > ? then 1 else 0 end as live
       from refresh_tokens t
       join sessions s on s.id = t.session_id
       left join users u on u.id = s.user_id
       left join user_roles ur on ur.user_id = u.id
       left join roles r on r.id = ur.role_id
       where t.token_hash = ?`,
      [this.at(now), this.at(idleCutoff), tokenHash],
    );
    const first = rows[0];
    if (!first) return undefined;
    return {
      sessionId: String(first.id),
      userId: first.user_id == null ? null : Number(first.user_id),
      scope: String(first.scope),
      live: Number(first.live) === 1,
      userActive: Boolean(first.is_active),
      roleScopes: new Set(rows.flatMap((row) => (row.role_scopes == null ? [] : jsonList(row.role_scopes)))),
    };
  }

  async insertRefreshToken(sessionId: string, tokenHash: string, now: Date): Promise<void> {
    await this.run('insert into refresh_tokens (session_id, token_hash, created_at) values (?, ?, ?)', [
      sessionId,
      tokenHash,
      this.at(now),
    ]);
  }

  /** Revokes a session unless already revoked; 1 when this call revoked it. */
  async revokeSession(id: string, reason: string, now: Date): Promise<number> {
    return this.run(
      'update sessions set revoked_at = ?, revoked_reason = ? where id = ? and revoked_at is null',
      [this.at(now), reason, id],
    );
  }
}

export class AuthStore {
  readonly queries: AuthQueries;
  private readonly knex: Db;

  constructor(
    orm: Orm,
    private readonly dialect: DatabaseTarget['dialect'],
  ) {
    this.knex = orm.em.getKnex();
    this.queries = new AuthQueries(this.knex, dialect, true);
  }

  /** Runs `work` in one transaction; it commits when `work` resolves and rolls back when it throws. */
  transaction<T>(work: (queries: AuthQueries) => Promise<T>): Promise<T> {
    return this.knex.transaction((trx) => work(new AuthQueries(trx, this.dialect)));
  }
}
