import type { DatabaseTarget } from '@tandem/config';
import type { Orm } from '@tandem/models';
import {
  HELD_SCOPE_BINDING,
  INSERT_SESSION_SQL,
  REVOKE_SESSION_SQL,
  revokeSessionSql,
  formatScope,
  heldScopeSql,
  heldScopes,
  insertSessionBindings,
  liveBindings,
  liveSessionSql,
  unionRoleScopes,
  type LiveWindow,
  type NewSession,
  type RevocationReason,
  type SessionStart,
} from '@tandem/tokens';

/**
 * Hand-written SQL for the hot paths (client_credentials, refresh_token, the code exchange), with bound
 * parameters and as few round trips as possible. The ORM's unit of work costs more than the queries
 * themselves (measured: ~2,000 findOne/s against ~19,000 raw selects/s), and these grants must reach
 * thousands of tokens per second. Everything else (password grant, revocation, keys) uses the ORM.
 * Both dialects: SQLite stores datetimes as epoch milliseconds (as MikroORM writes them), PostgreSQL
 * as timestamptz. What a live session is, how one is inserted and revoked, and how role scopes add up
 * are not written here: the SQL fragments come from @tandem/tokens' sessions module.
 */

/** "Now" and the cut-offs that decide whether a session is live and whether to touch it. */
export interface SessionWindow extends LiveWindow {
  /** A live session last used before this instant gets its last_used_at refreshed. */
  readonly touchBefore: Date;
}

export interface ClientRow {
  readonly id: number;
  readonly clientId: string;
  readonly secretHash: string;
  readonly scopes: string[];
  readonly isActive: boolean;
  /** Grants it may use (clients.grant_types). */
  readonly grantTypes: string[];
  /** A public client (no secret; never authenticates with one). */
  readonly isPublic: boolean;
  /** Its newest live session; `stale` when last_used_at is older than the window's touchBefore. */
  readonly liveSession: { readonly id: string; readonly stale: boolean } | undefined;
}

/** The client a user's session was issued to (code flow), as a refresh checks who presents its token. */
export interface SessionClient {
  readonly pk: number;
  readonly clientId: string;
  readonly isPublic: boolean;
  readonly isActive: boolean;
  /** Its scopes now (clients.scopes): staff narrowing them narrows every later refresh. */
  readonly scopes: readonly string[];
  /** Its grants now (clients.grant_types): without `refresh_token` its sessions cannot refresh. */
  readonly grantTypes: readonly string[];
}

export interface RefreshTokenSession {
  readonly sessionId: string;
  readonly userId: number | null;
  /** How the session began (sessions.grant_type). */
  readonly grantType: string;
  /** The client its refresh tokens are bound to; undefined for a session issued to no client. */
  readonly issuedTo: SessionClient | undefined;
  readonly scope: string;
  /** The token was already used (presenting it again means it leaked). */
  readonly used: boolean;
  /** Not revoked, within its absolute and idle lifetimes. */
  readonly live: boolean;
  /** The session's user exists and is active. */
  readonly userActive: boolean;
  /** Union of the scopes of the user's roles now. */
  readonly roleScopes: ReadonlySet<string>;
}

/** One refresh-token rotation: the presented token is spent and the session's next one stored. */
export interface RefreshRotation extends LiveWindow {
  readonly sessionId: string;
  readonly tokenHash: string;
  readonly nextTokenHash: string;
  /** clients.id of the client presenting the token (authenticated, or a public one by client_id); null for none. */
  readonly presenterPk: number | null;
}

/**
 * The client aliased `c` may use the refresh_token grant now (clients.grant_types, a JSON list):
 * staff removing it stops its sessions' refreshes. The same test as the grant's judge() in JS.
 */
const CLIENT_MAY_REFRESH: Readonly<Record<DatabaseTarget['dialect'], string>> = {
  postgresql: `c.grant_types @> cast('["refresh_token"]' as jsonb)`,
  sqlite: `exists (select 1 from json_each(c.grant_types) g where g.value = 'refresh_token')`,
};

/**
 * The id of the client's newest live session, for `client` (an SQL expression: a column or `?`); the
 * live condition's two `?` follow it. The client lookup's join and liveOrNewClientSession's re-read.
 */
function newestLiveClientSessionSql(client: string): string {
  return `select s2.id from sessions s2 where s2.client_id = ${client} and ${liveSessionSql('s2')}
          order by s2.created_at desc limit 1`;
}

/**
 * The rotation's binding condition on the session aliased `s`, with one `?` (the presenter's
 * clients.id, null for none): a session issued to a client rotates only for that client, still
 * active and still allowed the refresh_token grant; one issued to no client (password grant) for
 * anyone, as before. A code-flow session without a client (started before sessions recorded it)
 * never rotates: its user signs in again.
 */
function presenterMayRotate(dialect: DatabaseTarget['dialect']): string {
  return `((s.authorized_client_id is null and s.grant_type <> 'authorization_code')
           or (s.authorized_client_id = ?
               and exists (select 1 from clients c where c.id = s.authorized_client_id and c.is_active
                             and ${CLIENT_MAY_REFRESH[dialect]})))`;
}

/**
 * A refresh whose read and rotation go in one statement (PostgreSQL, no scope parameter): the token,
 * the next token's hash, and who presents it as the request says, before the session is known.
 */
export interface RefreshAttempt extends LiveWindow {
  readonly tokenHash: string;
  readonly nextTokenHash: string;
  /** clients.id of the client that authenticated with its secret; null when none did. */
  readonly authenticatedClientPk: number | null;
  /** The request's client_id parameter (a public client names itself); null when absent. */
  readonly namedClientId: string | null;
}

/**
 * presenterMayRotate with the presenter worked out in SQL from what the request says, for the
 * statement that reads and rotates at once (PostgreSQL; grants/refresh.ts's presenter() in one
 * condition): a session issued to no client (password grant) rotates for anyone; one issued to a
 * client only for that client, still active and allowed the refresh_token grant, proven by its
 * secret (the authenticated pk) or, when no client authenticated, named by client_id if it is public.
 * Three `?`: the authenticated pk (twice), the named client_id.
 */
const PRESENTER_PROVEN = `((s.authorized_client_id is null and s.grant_type <> 'authorization_code')
           or exists (select 1 from clients c where c.id = s.authorized_client_id and c.is_active
                        and ${CLIENT_MAY_REFRESH.postgresql}
                        and (c.id = ? or (cast(? as integer) is null and c.is_public and c.client_id = ?))))`;

/** The columns and joins of a refresh token's session read (the `?` of the live condition first). */
const REFRESH_SESSION_SELECT = `select s.id, s.user_id, s.grant_type, s.scope, u.is_active, r.scopes as role_scopes,
              s.authorized_client_id, ac.client_id as issued_to, ac.is_public as issued_to_public,
              ac.is_active as issued_to_active, ac.scopes as issued_to_scopes,
              ac.grant_types as issued_to_grant_types,
              case when t.used_at is null then 0 else 1 end as used,
              case when ${liveSessionSql('s')} then 1 else 0 end as live`;
const REFRESH_SESSION_FROM = `from refresh_tokens t
       join sessions s on s.id = t.session_id
       left join clients ac on ac.id = s.authorized_client_id
       left join users u on u.id = s.user_id
       left join user_roles ur on ur.user_id = u.id
       left join roles r on r.id = ur.role_id
       where t.token_hash = ?`;

/** An authorization code with what its exchange checks, read before (or as) it is claimed. */
export interface CodeForExchange {
  readonly clientPk: number;
  readonly clientId: string;
  readonly clientIsPublic: boolean;
  readonly clientActive: boolean;
  readonly clientGrantTypes: string[];
  readonly userId: number;
  readonly userActive: boolean;
  readonly email: string;
  /**
   * The redirect_uri parameter of the authorization request, exactly; '' when the request left it
   * out (the client's only registered URI was used).
   */
  readonly redirectUri: string;
  /** The client's registered redirect URIs now (for a code whose request left redirect_uri out). */
  readonly clientRedirectUris: string[];
  readonly scope: string;
  readonly codeChallenge: string;
  readonly nonce: string | null;
  readonly authTime: Date;
  readonly amr: string;
  readonly acr: string | null;
  /** Already exchanged (presenting it again means it leaked). */
  readonly used: boolean;
  /** Not expired. */
  readonly live: boolean;
  /**
   * What the exchange grants: the code's scopes that the user's roles allow now (a role may have lost
   * one since the code was issued), identity scopes always, in the code's order.
   */
  readonly grantedScope: string;
}

/** A code's read by the statement that also tried to claim it, and whether the claim happened. */
export interface CodeRead {
  readonly code: CodeForExchange;
  readonly claimed: boolean;
}

/** A new authorization code (only its hash), stored only while the sign-in it came from is live. */
export interface NewCode {
  readonly codeHash: string;
  readonly clientPk: number;
  readonly userId: number;
  /** The redirect_uri parameter of the authorization request; '' when it had none. */
  readonly redirectUri: string;
  readonly scope: string;
  readonly codeChallenge: string;
  readonly nonce: string | null;
  readonly authTime: Date;
  readonly amr: string;
  readonly acr: string | null;
  /** login_sessions.id of the sign-in the code comes from. */
  readonly loginSessionId: string;
  readonly now: Date;
  readonly expiresAt: Date;
}

/** Claiming a code and starting the session its exchange opens, in one atomic step. */
export interface CodeRedemption {
  readonly codeHash: string;
  readonly session: NewSession;
  /** SHA-256 of the session's first refresh token; null when the client gets none. */
  readonly refreshTokenHash: string | null;
}

/**
 * A code exchange whose read and claim go in one statement (PostgreSQL): what the request presents,
 * and what the claim stores if every check passes.
 */
export interface CodeAttempt {
  readonly codeHash: string;
  /** BASE64URL(SHA256(code_verifier)): the claim requires the code's challenge to be exactly this. */
  readonly challenge: string;
  /** The request's redirect_uri parameter; null when absent. */
  readonly redirectUri: string | null;
  /** clients.id of the client that authenticated with its secret; null when none did. */
  readonly authenticatedClientPk: number | null;
  /** The request's client_id parameter (a public client names itself); null when absent. */
  readonly namedClientId: string | null;
  /** The session the claim starts; its user, client and scope come from the code. */
  readonly session: SessionStart;
  /** SHA-256 of the session's first refresh token, stored only if the code's client may refresh. */
  readonly refreshTokenHash: string;
}

/**
 * The step-by-step claim of a code (redeemStepByStep) repeats the exchange's check that its client
 * and user are still active, so a deactivation between the exchange's read and its claim is not
 * missed (deactivating a user spends their codes anyway; deactivating a client does not).
 */
const CODE_PARTIES_ACTIVE = `exists (select 1 from clients c where c.id = authorization_codes.client_id and c.is_active)
         and exists (select 1 from users u where u.id = authorization_codes.user_id and u.is_active)`;

/**
 * The exchange's checks on the code aliased `a` as one condition of its claim (PostgreSQL), as
 * grants/authorization-code.ts's judge() makes them on the read, against what the attempt `t`
 * presents (readAndRedeemMany): unused, unexpired, the PKCE challenge, the client (active, and
 * proven: the authenticated pk, or when none authenticated a public client named by client_id), the
 * redirect_uri (identical to the request's, or for a request that had none: absent, or the client's
 * only registered URI), and the user active.
 */
const CODE_CLAIMABLE = `a.used_at is null and a.expires_at > t.at and a.code_challenge = t.challenge
    and exists (select 1 from clients c where c.id = a.client_id and c.is_active
                  and (c.id = t.authenticated_pk
                       or (t.authenticated_pk is null and c.is_public and c.client_id = t.named_client_id))
                  and ((a.redirect_uri <> '' and a.redirect_uri = t.redirect_uri)
                       or (a.redirect_uri = '' and (t.redirect_uri is null
                                                    or c.redirect_uris = jsonb_build_array(t.redirect_uri)))))
    and exists (select 1 from users u where u.id = a.user_id and u.is_active)`;

/** The columns of a code's read, `now` (an SQL expression) deciding whether it is live. */
const codeSelect = (
  now: string,
) => `select a.client_id as client_pk, c.client_id, c.is_public, c.is_active as client_active, c.grant_types,
              c.redirect_uris, a.user_id, u.is_active as user_active, u.email, a.redirect_uri, a.scope,
              a.code_challenge, a.nonce, a.auth_time, a.amr, a.acr,
              case when a.used_at is null then 0 else 1 end as used,
              case when a.expires_at > ${now} then 1 else 0 end as live`;
const CODE_FROM = `from authorization_codes a
       join clients c on c.id = a.client_id
       join users u on u.id = a.user_id`;

type Row = Record<string, unknown>;
/** MikroORM's knex instance, typed without depending on knex directly. */
type Knex = ReturnType<Orm['em']['getKnex']>;

function jsonList(value: unknown): string[] {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
}

/** A refresh token's session from the rows of REFRESH_SESSION_SELECT (one per role of its user). */
function refreshSessionOf(rows: Row[]): RefreshTokenSession | undefined {
  const first = rows[0];
  if (!first) return undefined;
  return {
    sessionId: String(first.id),
    userId: first.user_id == null ? null : Number(first.user_id),
    grantType: String(first.grant_type),
    issuedTo:
      first.authorized_client_id == null
        ? undefined
        : {
            pk: Number(first.authorized_client_id),
            clientId: String(first.issued_to),
            isPublic: Boolean(first.issued_to_public),
            isActive: Boolean(first.issued_to_active),
            scopes: jsonList(first.issued_to_scopes),
            grantTypes: jsonList(first.issued_to_grant_types),
          },
    scope: String(first.scope),
    used: Number(first.used) === 1,
    live: Number(first.live) === 1,
    userActive: Boolean(first.is_active),
    roleScopes: unionRoleScopes(
      rows.map((row) => (row.role_scopes == null ? [] : jsonList(row.role_scopes))),
    ),
  };
}

/** A code's read from CODE_SELECT's columns, with what its exchange grants. */
function codeOf(row: Row, grantedScope: string): CodeForExchange {
  return {
    clientPk: Number(row.client_pk),
    clientId: String(row.client_id),
    clientIsPublic: Boolean(row.is_public),
    clientActive: Boolean(row.client_active),
    clientGrantTypes: jsonList(row.grant_types),
    userId: Number(row.user_id),
    userActive: Boolean(row.user_active),
    email: String(row.email),
    redirectUri: String(row.redirect_uri),
    clientRedirectUris: jsonList(row.redirect_uris),
    scope: String(row.scope),
    codeChallenge: String(row.code_challenge),
    nonce: row.nonce == null ? null : String(row.nonce),
    authTime: new Date(row.auth_time as number | Date),
    amr: String(row.amr),
    acr: row.acr == null ? null : String(row.acr),
    used: Number(row.used) === 1,
    live: Number(row.live) === 1,
    grantedScope,
  };
}

interface SqliteStatement {
  all(...bindings: unknown[]): Row[];
  run(...bindings: unknown[]): { changes: number };
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}
interface PgConnection {
  query(query: {
    name?: string;
    text: string;
    values?: unknown[];
  }): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/**
 * PostgreSQL statements by name, with their `?` placeholders numbered once, not on every call. A
 * name always stands for one text (node-postgres refuses a prepared name reused with another).
 */
const pgStatements = new Map<string, { readonly name: string; readonly text: string }>();

/** better-sqlite3 statements prepared once per connection (knex would prepare every query again). */
const sqliteStatements = new WeakMap<object, Map<string, SqliteStatement>>();

/**
 * Runs named statements on one raw driver connection: a statement cached per SQLite connection, a
 * named (server-side prepared) statement on PostgreSQL. This skips knex's per-query SQL formatting
 * and, on SQLite, the per-query prepare, which together cost more than these small queries.
 */
class Connection {
  constructor(
    private readonly raw: unknown,
    private readonly dialect: DatabaseTarget['dialect'],
  ) {}

  private statement(name: string, sql: string): SqliteStatement {
    const connection = this.raw as SqliteConnection;
    let statements = sqliteStatements.get(connection);
    if (!statements) sqliteStatements.set(connection, (statements = new Map()));
    let statement = statements.get(name);
    if (!statement) statements.set(name, (statement = connection.prepare(sql)));
    return statement;
  }

  private pg(name: string, sql: string, bindings: unknown[]) {
    let statement = pgStatements.get(name);
    if (!statement) {
      let index = 0;
      const text = sql.replace(/\?/g, () => `$${++index}`);
      pgStatements.set(name, (statement = { name: `tandem_auth_${name}`, text }));
    }
    return (this.raw as PgConnection).query({ ...statement, values: bindings });
  }

  async rows(name: string, sql: string, bindings: unknown[]): Promise<Row[]> {
    if (this.dialect === 'sqlite') return this.statement(name, sql).all(...bindings);
    return (await this.pg(name, sql, bindings)).rows;
  }

  async run(name: string, sql: string, bindings: unknown[]): Promise<number> {
    if (this.dialect === 'sqlite') return this.statement(name, sql).run(...bindings).changes;
    return (await this.pg(name, sql, bindings)).rowCount ?? 0;
  }

  /** begin / commit / rollback (plain statements on PostgreSQL, cached statements on SQLite). */
  async control(sql: 'begin' | 'begin immediate' | 'commit' | 'rollback'): Promise<void> {
    if (this.dialect === 'sqlite') this.statement(sql, sql).run();
    else await (this.raw as PgConnection).query({ text: sql });
  }
}

/** Where AuthQueries send their statements: a pooled connection per statement, or one held connection. */
interface Executor {
  rows(name: string, sql: string, bindings: unknown[]): Promise<Row[]>;
  run(name: string, sql: string, bindings: unknown[]): Promise<number>;
}

/** Runs `work` on a connection borrowed from knex's own pool, given back however `work` ends. */
async function withPooledConnection<T>(
  knex: Knex,
  dialect: DatabaseTarget['dialect'],
  work: (connection: Connection) => Promise<T>,
): Promise<T> {
  const raw: unknown = await knex.client.acquireConnection();
  try {
    return await work(new Connection(raw, dialect));
  } finally {
    await knex.client.releaseConnection(raw);
  }
}

/**
 * Borrows a connection from knex's own pool for each statement, so knex's guarantees hold: a
 * connection inside a transaction (ours or the ORM's) is waited for, never shared.
 */
class PooledExecutor implements Executor {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: DatabaseTarget['dialect'],
  ) {}

  private with<T>(work: (connection: Connection) => Promise<T>): Promise<T> {
    return withPooledConnection(this.knex, this.dialect, work);
  }

  rows(name: string, sql: string, bindings: unknown[]): Promise<Row[]> {
    return this.with((connection) => connection.rows(name, sql, bindings));
  }

  run(name: string, sql: string, bindings: unknown[]): Promise<number> {
    return this.with((connection) => connection.run(name, sql, bindings));
  }
}

/** Queries on the pool, or inside one transaction (see AuthStore.transaction). */
export class AuthQueries {
  constructor(
    private readonly exec: Executor,
    private readonly dialect: DatabaseTarget['dialect'],
  ) {}

  private at(date: Date): number | Date {
    return this.dialect === 'sqlite' ? date.getTime() : date;
  }

  /**
   * Clients by their public ids, each with its newest live session in the same query: the
   * client_credentials grant needs one round trip, not two, and the grants of one event-loop turn
   * share it (client-lookups.ts). Ids that name no client are absent from the map.
   */
  async findClients(clientIds: readonly string[], window: SessionWindow): Promise<Map<string, ClientRow>> {
    const idIn =
      this.dialect === 'postgresql'
        ? 'c.client_id = any(cast(? as text[]))'
        : 'c.client_id in (select value from json_each(?))';
    const rows = await this.exec.rows(
      'find_clients',
      `select c.id, c.client_id, c.secret_hash, c.scopes, c.is_active, c.grant_types, c.is_public, s.id as sid,
              case when s.last_used_at < ? then 1 else 0 end as stale
       from clients c
       left join sessions s on s.id = (${newestLiveClientSessionSql('c.id')})
       where ${idIn}`,
      [
        this.at(window.touchBefore),
        ...liveBindings(window, (d) => this.at(d)),
        this.dialect === 'postgresql' ? clientIds : JSON.stringify(clientIds),
      ],
    );
    const clients = new Map<string, ClientRow>();
    for (const row of rows)
      clients.set(String(row.client_id), {
        id: Number(row.id),
        clientId: String(row.client_id),
        secretHash: String(row.secret_hash),
        scopes: jsonList(row.scopes),
        isActive: Boolean(row.is_active),
        grantTypes: jsonList(row.grant_types),
        isPublic: Boolean(row.is_public),
        liveSession: row.sid == null ? undefined : { id: String(row.sid), stale: Number(row.stale) === 1 },
      });
    return clients;
  }

  /**
   * The client's newest live session, else `session` stored, in a transaction (AuthStore.transaction):
   * the client's row is locked first on PostgreSQL (SQLite's BEGIN IMMEDIATE already serializes
   * writers), so two first client_credentials grants at once share one session instead of each
   * starting its own. Returns the session's id.
   */
  async liveOrNewClientSession(clientPk: number, session: NewSession, window: LiveWindow): Promise<string> {
    if (this.dialect === 'postgresql')
      await this.exec.rows('lock_client', 'select 1 from clients where id = ? for update', [clientPk]);
    const [live] = await this.exec.rows('live_client_session', newestLiveClientSessionSql('?'), [
      clientPk,
      ...liveBindings(window, (d) => this.at(d)),
    ]);
    if (live) return String(live.id);
    await this.insertSession(session);
    return session.id;
  }

  /** Stores a session made by the sessions module's newSession. */
  async insertSession(session: NewSession): Promise<void> {
    await this.exec.run(
      'insert_session',
      INSERT_SESSION_SQL,
      insertSessionBindings(session, (d) => this.at(d)),
    );
  }

  async touchSession(id: string, now: Date): Promise<void> {
    await this.exec.run('touch_session', 'update sessions set last_used_at = ? where id = ?', [
      this.at(now),
      id,
    ]);
  }

  /**
   * The session of a refresh token with its user's active flag and current role scopes, in one query
   * (one row per role of the user), and whether the token was already used. A read: the token is
   * claimed afterwards by rotateRefreshToken, atomically and only if still unused.
   */
  async refreshTokenSession(tokenHash: string, window: LiveWindow): Promise<RefreshTokenSession | undefined> {
    const rows = await this.exec.rows(
      'refresh_token_session_used',
      `${REFRESH_SESSION_SELECT}
       ${REFRESH_SESSION_FROM}`,
      [...liveBindings(window, (d) => this.at(d)), tokenHash],
    );
    return refreshSessionOf(rows);
  }

  /**
   * The read of refreshTokenSession and the rotation of rotateInOneStatement in one statement
   * (PostgreSQL; one round trip instead of two): the token is claimed only if every check the grant
   * makes on the read would pass (unused, session live, its user present and active, presented by the
   * client it is bound to, which may still refresh: PRESENTER_PROVEN), and then the next token is stored and the session
   * touched. The read is the statement's snapshot, from before the claim, so the grant judges it as
   * it would a separate read: `claimed` false with a read that passes every check means a concurrent
   * use won the token (its row lock was waited for, and `used_at is null` no longer held). Undefined
   * for an unknown token. Only for a request without a scope parameter, the one check SQL does not
   * repeat (without one, the grant's scope decision cannot refuse).
   */
  async readAndRotateInOneStatement(
    attempt: RefreshAttempt,
  ): Promise<{ session: RefreshTokenSession; claimed: boolean } | undefined> {
    const now = this.at(attempt.now);
    const live = liveBindings(attempt, (d) => this.at(d));
    const rows = await this.exec.rows(
      'read_and_rotate_refresh_token',
      `with claimed as (
         update refresh_tokens t set used_at = ?
         where t.token_hash = ? and t.used_at is null
           and exists (select 1 from sessions s join users u on u.id = s.user_id and u.is_active
                       where s.id = t.session_id and ${liveSessionSql('s')} and ${PRESENTER_PROVEN})
         returning t.session_id),
       touched as (update sessions set last_used_at = ? where id in (select session_id from claimed)),
       inserted as (insert into refresh_tokens (session_id, token_hash, created_at)
                    select session_id, ?, ? from claimed)
       ${REFRESH_SESSION_SELECT}, (select count(*) from claimed) as claimed
       ${REFRESH_SESSION_FROM}`,
      [
        now,
        attempt.tokenHash,
        ...live,
        attempt.authenticatedClientPk,
        attempt.authenticatedClientPk,
        attempt.namedClientId,
        now,
        attempt.nextTokenHash,
        now,
        ...live,
        attempt.tokenHash,
      ],
    );
    const session = refreshSessionOf(rows);
    return session && { session, claimed: Number(rows[0]!.claimed) === 1 };
  }

  /**
   * The rotation as one statement (PostgreSQL): claims the token if it is unused, its session is
   * still live and bound to the presenting client (presenterMayRotate), and only then stores the next token and touches the session. A data-modifying CTE
   * runs to completion and the whole statement is one transaction, so it all happens or nothing
   * does. Of two concurrent claims exactly one matches: the other's UPDATE waits for the winner's row
   * lock, re-checks `used_at is null` and matches nothing. 1 when this call won the token.
   */
  async rotateInOneStatement(rotation: RefreshRotation): Promise<number> {
    const rows = await this.exec.rows(
      'rotate_refresh_token',
      `with claimed as (
         update refresh_tokens t set used_at = ?
         where t.token_hash = ? and t.used_at is null
           and exists (select 1 from sessions s where s.id = t.session_id and ${liveSessionSql('s')}
                         and ${presenterMayRotate(this.dialect)})
         returning t.session_id),
       touched as (update sessions set last_used_at = ? where id in (select session_id from claimed)),
       inserted as (insert into refresh_tokens (session_id, token_hash, created_at)
                    select session_id, ?, ? from claimed)
       select count(*) as claimed from claimed`,
      [
        this.at(rotation.now),
        rotation.tokenHash,
        ...liveBindings(rotation, (d) => this.at(d)),
        rotation.presenterPk,
        this.at(rotation.now),
        rotation.nextTokenHash,
        this.at(rotation.now),
      ],
    );
    return Number(rows[0]?.claimed ?? 0);
  }

  /** The rotation's steps, for a transaction (SQLite): claim, then store the next token and touch. */
  async rotateStepByStep(rotation: RefreshRotation): Promise<number> {
    const claimed = await this.exec.run(
      'claim_live_refresh_token',
      `update refresh_tokens set used_at = ?
       where token_hash = ? and used_at is null
         and exists (select 1 from sessions s where s.id = refresh_tokens.session_id and ${liveSessionSql('s')}
                       and ${presenterMayRotate(this.dialect)})`,
      [
        this.at(rotation.now),
        rotation.tokenHash,
        ...liveBindings(rotation, (d) => this.at(d)),
        rotation.presenterPk,
      ],
    );
    if (claimed !== 1) return 0;
    await this.exec.run(
      'insert_refresh_token',
      'insert into refresh_tokens (session_id, token_hash, created_at) values (?, ?, ?)',
      [rotation.sessionId, rotation.nextTokenHash, this.at(rotation.now)],
    );
    await this.touchSession(rotation.sessionId, rotation.now);
    return 1;
  }

  /**
   * An authorization code with its client, its user and what the user's roles allow of its scopes
   * now, for the token endpoint's checks, in one query (one row per role of the user). The read of the
   * step-by-step exchange (SQLite), claimed afterwards by redeemCode.
   */
  async codeForExchange(codeHash: string, now: Date): Promise<CodeForExchange | undefined> {
    const rows = await this.exec.rows(
      'code_for_exchange_roles',
      `${codeSelect('?')}, r.scopes as role_scopes
       ${CODE_FROM}
       left join user_roles ur on ur.user_id = u.id
       left join roles r on r.id = ur.role_id
       where a.code_hash = ?`,
      [this.at(now), codeHash],
    );
    const row = rows[0];
    if (!row) return undefined;
    const roleScopes = unionRoleScopes(
      rows.map((each) => (each.role_scopes == null ? [] : jsonList(each.role_scopes))),
    );
    return codeOf(row, formatScope(heldScopes(String(row.scope), roleScopes)));
  }

  /**
   * The read of codeForExchange and the claim of redeemCode in one statement, for a batch of
   * exchanges (PostgreSQL; one round trip and one commit for the exchanges of an event-loop turn,
   * see CodeRedemptions): each code is claimed only if every check the exchange makes on the read
   * would pass for its attempt (CODE_CLAIMABLE), and then its session is started with the granted
   * scope and, if the code's client may refresh, its first refresh token stored. A data-modifying CTE
   * runs to completion and the statement is one transaction, so all of it happens or none does. Each
   * read is the statement's snapshot, from before the claim, so the grant judges it as it would a
   * separate read: `claimed` false with a read that passes every check means another exchange won the
   * code (a concurrent statement, whose row lock was waited for, or an attempt of the same batch with
   * the same code: an UPDATE joins a row to one attempt only). One answer per attempt, in order;
   * undefined for an unknown code.
   */
  async readAndRedeemMany(attempts: readonly CodeAttempt[]): Promise<(CodeRead | undefined)[]> {
    const column = <T>(value: (attempt: CodeAttempt) => T): T[] => attempts.map(value);
    const rows = await this.exec.rows(
      'read_and_redeem_codes',
      `with attempt as (
         select * from unnest(cast(? as text[]), cast(? as text[]), cast(? as text[]), cast(? as integer[]),
                              cast(? as text[]), cast(? as text[]), cast(? as timestamptz[]),
                              cast(? as timestamptz[]), cast(? as text[]))
           with ordinality as t(code_hash, challenge, redirect_uri, authenticated_pk, named_client_id,
                                session_id, at, expires_at, refresh_token_hash, n)),
       code as (
         ${codeSelect('t.at')}, t.n, ${heldScopeSql('a.scope', 'a.user_id')} as granted_scope
         from attempt t
         join authorization_codes a on a.code_hash = t.code_hash
         join clients c on c.id = a.client_id
         join users u on u.id = a.user_id),
       claimed as (
         update authorization_codes a set used_at = t.at, session_id = t.session_id
         from attempt t
         where a.code_hash = t.code_hash and ${CODE_CLAIMABLE}
         returning t.n, a.user_id, a.client_id),
       started as (
         insert into sessions (id, user_id, client_id, authorized_client_id, grant_type, scope, created_at,
                               last_used_at, expires_at)
         select t.session_id, claimed.user_id, null, claimed.client_id, 'authorization_code',
                code.granted_scope, t.at, t.at, t.expires_at
         from claimed join attempt t on t.n = claimed.n join code on code.n = claimed.n
         returning id),
       refresh as (
         insert into refresh_tokens (session_id, token_hash, created_at)
         select t.session_id, t.refresh_token_hash, t.at
         from claimed join attempt t on t.n = claimed.n join code on code.n = claimed.n
         join started on started.id = t.session_id
         where code.grant_types @> cast('["refresh_token"]' as jsonb))
       select code.*, exists (select 1 from claimed where claimed.n = code.n) as claimed from code`,
      [
        column((a) => a.codeHash),
        column((a) => a.challenge),
        column((a) => a.redirectUri),
        column((a) => a.authenticatedClientPk),
        column((a) => a.namedClientId),
        column((a) => a.session.id),
        column((a) => a.session.now),
        column((a) => a.session.expiresAt),
        column((a) => a.refreshTokenHash),
        HELD_SCOPE_BINDING,
      ],
    );
    const reads: (CodeRead | undefined)[] = attempts.map(() => undefined);
    for (const row of rows)
      reads[Number(row.n) - 1] = {
        code: codeOf(row, String(row.granted_scope)),
        claimed: row.claimed === true,
      };
    return reads;
  }

  /** The redemption's steps, for a transaction (redeemCode): claim, then start the session. */
  async redeemStepByStep(redemption: CodeRedemption): Promise<number> {
    const { session } = redemption;
    const claimed = await this.exec.run(
      'claim_code',
      `update authorization_codes set used_at = ?, session_id = ?
       where code_hash = ? and used_at is null and expires_at > ? and ${CODE_PARTIES_ACTIVE}`,
      [this.at(session.now), session.id, redemption.codeHash, this.at(session.now)],
    );
    if (claimed !== 1) return 0;
    await this.insertSession(session);
    if (redemption.refreshTokenHash !== null)
      await this.exec.run(
        'insert_refresh_token',
        'insert into refresh_tokens (session_id, token_hash, created_at) values (?, ?, ?)',
        [session.id, redemption.refreshTokenHash, this.at(session.now)],
      );
    return 1;
  }

  /**
   * Stores a new code if, and only if, the sign-in it comes from is still live, in one statement; 1
   * when stored. Reading the sign-in and inserting later would let a logout or password change that
   * lands in between (they end the sign-in, then spend its unexchanged codes) miss the new code. On
   * PostgreSQL the sign-in row is read FOR SHARE: an ending that got there first is waited for and
   * re-checked (no row), and one that comes after waits for this insert to commit, so its UPDATE of
   * the codes sees and spends the new one. SQLite runs a writing statement under the write lock.
   */
  async insertCodeOfLiveSignIn(code: NewCode): Promise<number> {
    const lock = this.dialect === 'postgresql' ? ' for share' : '';
    return this.exec.run(
      'insert_code_of_live_sign_in',
      `insert into authorization_codes (code_hash, client_id, user_id, redirect_uri, scope, code_challenge,
         nonce, auth_time, amr, acr, login_session_id, created_at, expires_at, used_at, session_id)
       select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null
       where exists (select 1 from login_sessions l
                     where l.id = ? and l.ended_at is null and l.expires_at > ?${lock})`,
      [
        code.codeHash,
        code.clientPk,
        code.userId,
        code.redirectUri,
        code.scope,
        code.codeChallenge,
        code.nonce,
        this.at(code.authTime),
        code.amr,
        code.acr,
        code.loginSessionId,
        this.at(code.now),
        this.at(code.expiresAt),
        code.loginSessionId,
        this.at(code.now),
      ],
    );
  }

  /** Spends a code without issuing anything (a wrong PKCE verifier or redirect URI burns it). */
  async spendCode(codeHash: string, now: Date): Promise<void> {
    await this.exec.run(
      'spend_code',
      'update authorization_codes set used_at = ? where code_hash = ? and used_at is null',
      [this.at(now), codeHash],
    );
  }

  /** Revokes the session a code's first exchange started (the code was presented again). */
  async revokeSessionOfCode(codeHash: string, reason: RevocationReason, now: Date): Promise<number> {
    return this.exec.run(
      'revoke_session_of_code',
      revokeSessionSql('(select session_id from authorization_codes where code_hash = ?)'),
      [this.at(now), reason, codeHash],
    );
  }

  /** The sessions module's revokeSession on this connection; 1 when this call revoked it. */
  async revokeSession(id: string, reason: RevocationReason, now: Date): Promise<number> {
    return this.exec.run('revoke_session', REVOKE_SESSION_SQL, [this.at(now), reason, id]);
  }
}

/** The statements of one transaction, all on one connection held for its duration. */
class HeldExecutor implements Executor {
  constructor(private readonly connection: Connection) {}

  rows(name: string, sql: string, bindings: unknown[]): Promise<Row[]> {
    return this.connection.rows(name, sql, bindings);
  }

  run(name: string, sql: string, bindings: unknown[]): Promise<number> {
    return this.connection.run(name, sql, bindings);
  }
}

/**
 * One connection borrowed for a whole grant (see AuthStore.withConnection): the grant's read, its
 * atomic write and any revocation go over it, so a grant borrows from knex's pool once instead of
 * once per statement (each borrow costs tarn a pending operation with its own timer and several
 * promises). The atomicity is the statements' own, as on the pool: nothing is assumed about rows
 * between the read and the write.
 */
export interface HeldStore {
  readonly queries: AuthQueries;
  /** AuthStore.rotateRefreshToken on this connection. */
  rotateRefreshToken(rotation: RefreshRotation): Promise<number>;
  /** AuthStore.redeemCode on this connection. */
  redeemCode(redemption: CodeRedemption): Promise<number>;
  /**
   * AuthQueries.readAndRotateInOneStatement on this connection; undefined on SQLite, whose statements
   * cost no round trip (the grant reads, then rotates in a transaction).
   */
  readonly readAndRotate:
    | ((attempt: RefreshAttempt) => Promise<{ session: RefreshTokenSession; claimed: boolean } | undefined>)
    | undefined;
}

export class AuthStore {
  readonly queries: AuthQueries;
  private readonly knex: Knex;

  constructor(
    orm: Orm,
    private readonly dialect: DatabaseTarget['dialect'],
  ) {
    this.knex = orm.em.getKnex();
    this.queries = new AuthQueries(new PooledExecutor(this.knex, dialect), dialect);
  }

  /**
   * Spends a refresh token and stores the session's next one, atomically, if the token is still
   * unused and its session live; 1 when this call won the token, 0 otherwise (a concurrent use won,
   * or the session ended meanwhile). PostgreSQL: one statement, one round trip and one commit.
   * SQLite: a BEGIN IMMEDIATE transaction of synchronous statements on one held connection.
   */
  rotateRefreshToken(rotation: RefreshRotation): Promise<number> {
    return this.withConnection((held) => held.rotateRefreshToken(rotation));
  }

  /**
   * Claims an authorization code and starts its session (with its first refresh token), atomically,
   * if the code is unused and unexpired and its client and user active; 1 when this call won the
   * code. A transaction (BEGIN IMMEDIATE on SQLite): the claim of the exchange that reads first
   * (SQLite). On PostgreSQL the exchange reads and claims in one statement (readAndRedeemMany).
   */
  redeemCode(redemption: CodeRedemption): Promise<number> {
    return this.withConnection((held) => held.redeemCode(redemption));
  }

  /**
   * Runs `work` in one transaction on a connection held from knex's pool: it commits when `work`
   * resolves and rolls back when it throws. SQLite takes the write lock up front (BEGIN IMMEDIATE), so
   * two processes refreshing at once wait for each other (busy_timeout) instead of failing to upgrade
   * a read lock.
   */
  transaction<T>(work: (queries: AuthQueries) => Promise<T>): Promise<T> {
    return this.withRaw((connection) => this.transactionOn(connection, work));
  }

  /**
   * Runs `work` with one connection held from knex's pool for its whole duration (released when it
   * settles), outside any transaction: each statement commits on its own, and the atomic steps
   * (rotation, redemption) are one statement or their own transaction on that connection. `work`
   * must use only `held`: on SQLite the pool has one connection, so borrowing another inside would
   * wait for this one.
   */
  withConnection<T>(work: (held: HeldStore) => Promise<T>): Promise<T> {
    return this.withRaw((connection) => {
      const queries = new AuthQueries(new HeldExecutor(connection), this.dialect);
      return work({
        queries,
        rotateRefreshToken: (rotation) =>
          this.dialect === 'postgresql'
            ? queries.rotateInOneStatement(rotation)
            : this.transactionOn(connection, (q) => q.rotateStepByStep(rotation)),
        redeemCode: (redemption) => this.transactionOn(connection, (q) => q.redeemStepByStep(redemption)),
        readAndRotate:
          this.dialect === 'postgresql'
            ? (attempt) => queries.readAndRotateInOneStatement(attempt)
            : undefined,
      });
    });
  }

  private withRaw<T>(work: (connection: Connection) => Promise<T>): Promise<T> {
    return withPooledConnection(this.knex, this.dialect, work);
  }

  private async transactionOn<T>(
    connection: Connection,
    work: (queries: AuthQueries) => Promise<T>,
  ): Promise<T> {
    await connection.control(this.dialect === 'sqlite' ? 'begin immediate' : 'begin');
    try {
      const result = await work(new AuthQueries(new HeldExecutor(connection), this.dialect));
      await connection.control('commit');
      return result;
    } catch (error) {
      await connection.control('rollback').catch(() => undefined);
      throw error;
    }
  }
}
