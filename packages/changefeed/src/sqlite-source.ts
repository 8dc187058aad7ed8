import { revocationSource } from '@tandem/models';
import { projectionsByTable, resolveEvents, type ChangedRows, type OutboxEvent } from './group-events.js';
import { DELETED_SESSION_TOKENS_MS, DELETED_SESSION_TOKENS_SECONDS } from './deleted-sessions.js';
import { revocationKeptUntilMs } from './revocation-window.js';
import type { CompiledProjection } from './projection.js';
import { batchesOf } from './snapshot-batches.js';
import { watchCommits, type CommitWatch } from './sqlite-commit-watch.js';
import { openSqlite, type SqliteDatabase, type SqliteStatement } from './sqlite-driver.js';
import { PositionLostError } from './position-lost.js';
import type { FeedSource, ReadResult, RecordRow, SessionState, Snapshot } from './types.js';

const BATCH = 10_000;
const S = revocationSource;
const EPOCH_MS = (column: string) =>
  `(case when typeof(${column}) in ('integer', 'real') then ${column} else (julianday(${column}) - 2440587.5) * 86400000.0 end)`;

/**
 * SQLite source: one writer at a time, so event id order is commit order and tailing by id is
 * lossless. SQLite has no notification across processes; the feed is woken by writes to the WAL file
 * instead (sqlite-commit-watch.ts), and polls every FEED_POLL_MS where that file cannot be watched.
 * While no other connection has committed since a read that found nothing, a read is one
 * `pragma data_version`.
 */
export class SqliteSource implements FeedSource {
  readonly dialect = 'sqlite';
  private db: SqliteDatabase | undefined;
  private commits: CommitWatch | undefined;
  private readonly byTable: Map<string, CompiledProjection[]>;
  private hasSessions = false;

  get notifiesOfCommits(): boolean {
    return this.commits !== undefined;
  }

  constructor(
    private readonly file: string,
    private readonly projections: readonly CompiledProjection[],
  ) {
    this.byTable = projectionsByTable(projections);
  }

  async connect(wake: () => void): Promise<void> {
    await this.close();
    this.db = openSqlite(this.file);
    this.commits = watchCommits(this.file, wake, () => {
      // Polled from now on: the loop's long idle sleep is cut short so it starts at once.
      this.commits = undefined;
      wake();
    });
    this.hasSessions =
      this.stmt(`select 1 from sqlite_master where type = 'table' and name = ?`).get(S.table) !== undefined;
  }

  private get conn(): SqliteDatabase {
    if (!this.db) throw new Error('not connected');
    return this.db;
  }

  private readonly statements = new Map<string, SqliteStatement>();

  /** Prepared once per connection: a poll every few ms should not re-parse its SQL. */
  private stmt(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.conn.prepare(sql)));
    return statement;
  }

  /**
   * Runs `read` in one read transaction (WAL): everything it reads sees one committed state, whatever
   * other processes commit meanwhile. Rolled back if `read` throws (a closed connection has nothing to
   * roll back).
   */
  private async inReadTransaction<T>(read: () => Promise<T>): Promise<T> {
    this.stmt('begin').run();
    try {
      const result = await read();
      this.stmt('commit').run();
      return result;
    } catch (error) {
      if (this.db?.inTransaction) this.stmt('rollback').run();
      throw error;
    }
  }

  async snapshot<T>(consume: (snapshot: Snapshot) => Promise<T>): Promise<T> {
    const db = this.conn;
    // The position, the sessions and every streamed row see one state.
    return this.inReadTransaction(async () => {
      // Not below the prune's mark: with every event pruned, max(id) alone would restart the position
      // at 0, below the mark, and every read would report it lost (ids are never reused: AUTOINCREMENT).
      const max = this.stmt(
        `select max(coalesce((select max(id) from change_event), 0),
                    coalesce((select below - 1 from change_event_pruned where id = 1), 0)) as id`,
      ).get() as { id: number };
      const revokedSessions: SessionState[] = this.hasSessions
        ? (
            this.stmt(
              `select ${S.idColumn} as sid, ${EPOCH_MS(S.expiresAtColumn)} as exp, ${EPOCH_MS(S.revokedAtColumn)} as rev
                 from ${S.table} where ${S.revokedAtColumn} is not null`,
            ).all() as { sid: string; exp: number; rev: number }[]
          )
            .map((r) => ({
              sid: String(r.sid),
              revoked: true,
              keepUntilMs: revocationKeptUntilMs(r.exp, r.rev),
            }))
            .filter((s) => s.keepUntilMs > Date.now())
        : [];
      if (this.hasSessions) for (const sid of this.deletedSessions()) revokedSessions.push(sid);
      const collections = new Map<string, AsyncIterable<readonly RecordRow[]>>();
      // Prepared per snapshot: a statement being iterated cannot be shared.
      for (const p of this.projections)
        collections.set(
          p.collection,
          batchesOf(() => db.prepare(p.snapshotSql).iterate() as Iterable<RecordRow>),
        );
      return consume({ position: String(max.id), collections, revokedSessions });
    });
  }

  /**
   * Sessions deleted recently enough that their access tokens may still be presented. A deleted
   * session has no row to say it is revoked, so only its outbox delete event does: without these, a
   * restarted node would accept a deleted user's tokens again until they expire.
   */
  private deletedSessions(): SessionState[] {
    const rows = this.stmt(
      `select e.record_id as sid, max(${EPOCH_MS('e.created_at')}) as deletedAt
         from change_event e
        where e.table_name = ? and e.op = 'delete' and e.created_at > strftime('%Y-%m-%d %H:%M:%f', 'now', ?)
          and not exists (select 1 from ${S.table} s where s.${S.idColumn} = e.record_id)
        group by e.record_id`,
    ).all(S.table, `-${DELETED_SESSION_TOKENS_SECONDS} seconds`) as { sid: string; deletedAt: number }[];
    return rows
      .map((r) => ({
        sid: String(r.sid),
        revoked: true,
        keepUntilMs: r.deletedAt + DELETED_SESSION_TOKENS_MS,
      }))
      .filter((s) => s.keepUntilMs > Date.now());
  }

  /**
   * `pragma data_version` and the position of the last read that found nothing: while neither moved,
   * no other connection has committed since (any process: SQLite bumps it for every commit but this
   * connection's own), so there is nothing new to read. Where the WAL cannot be watched SQLite is
   * polled every FEED_POLL_MS (100 times a second by default): with two queries per empty poll an idle
   * fast service used 43 ms of CPU per second, with the pragma alone 31.5 (paired run, loaded machine;
   * the rest is the timer wake-ups). A watched WAL wakes it only after a write.
   */
  private idle: { version: number; position: string } | undefined;

  async read(position: string): Promise<ReadResult> {
    const version = (this.stmt('pragma data_version').get() as { data_version: number }).data_version;
    if (this.idle && this.idle.position === position && this.idle.version === version)
      return { position, changes: [], sessions: [], events: 0, pending: 0, pendingAgeMs: 0 };
    // The events and the rows they name are read in one state. Read apart, another process's commit in
    // between (the applier's) could show in a re-read row (a queued write's outcome) without that commit's
    // events (the order it created) in this batch, as the PostgreSQL source's note explains. A batch cut
    // at BATCH events (a backlog) may still end inside a transaction.
    const { rows, upto, resolved, pending } = await this.inReadTransaction(async () => {
      // Another reader pruned events past this position (see `prune`): going on would skip them.
      const pruned = this.stmt('select below from change_event_pruned where id = 1').get() as
        { below: number } | undefined;
      if (pruned && pruned.below > Number(position) + 1)
        throw new PositionLostError(
          `outbox events below id ${pruned.below} were pruned; this reader had read only up to ${position}`,
        );
      const rows = this.stmt(
        'select id, table_name as "table", record_id as recordId from change_event where id > ? order by id limit ?',
      ).all(Number(position), BATCH) as (OutboxEvent & { id: number })[];
      const upto = rows.length > 0 ? String(rows[rows.length - 1]!.id) : position;
      const resolved = await resolveEvents(rows, this.byTable, this.changedRows);
      const pending = this.stmt(
        `select count(*) as n, (julianday('now') - julianday(min(created_at))) * 86400000.0 as age from change_event where id > ?`,
      ).get(Number(upto)) as { n: number; age: number | null };
      return { rows, upto, resolved, pending };
    });
    const { changes, sessions } = resolved;
    // Nothing found and nothing pending: until another connection commits, the next poll is the pragma.
    this.idle = rows.length === 0 && pending.n === 0 ? { version, position } : undefined;
    return {
      position: upto,
      changes,
      sessions,
      events: rows.length,
      pending: pending.n,
      pendingAgeMs: Math.max(0, pending.age ?? 0),
    };
  }

  /** Reads back what the events name, by SQLite's queries. */
  private readonly changedRows: ChangedRows = {
    sessions: async (sids) => {
      const found = this.stmt(
        `select ${S.idColumn} as sid, ${EPOCH_MS(S.expiresAtColumn)} as exp, ${EPOCH_MS(S.revokedAtColumn)} as rev
             from ${S.table} where ${S.idColumn} in (select value from json_each(?))`,
      ).all(JSON.stringify(sids)) as { sid: string; exp: number; rev: number | null }[];
      return found.map((r) => ({
        sid: String(r.sid),
        revoked: r.rev !== null,
        keepUntilMs: revocationKeptUntilMs(r.exp, r.rev),
      }));
    },
    records: async (projection, ids) =>
      this.stmt(projection.rereadSql).all(JSON.stringify(ids)) as RecordRow[],
  };

  /**
   * Deletes the events older than the retention that this reader has read (id <= position) and raises
   * the mark `change_event_pruned.below` above every id it deleted, in one transaction. By age alone a
   * backlog wider than one read (BATCH) was deleted before it was read. The mark is for the other
   * readers of the file (another fast process, a relay): `read` reports a position below it lost.
   */
  async prune(retentionSeconds: number, position: string): Promise<number> {
    const cutoff = `-${retentionSeconds} seconds`;
    try {
      // IMMEDIATE: the write lock from the start, so the mark and the delete see the same rows.
      this.stmt('begin immediate').run();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_BUSY') return 0;
      throw error;
    }
    try {
      const { last } = this.stmt(
        `select max(id) as last from change_event
          where created_at < strftime('%Y-%m-%d %H:%M:%f', 'now', ?) and id <= ?`,
      ).get(cutoff, Number(position)) as { last: number | null };
      let deleted = 0;
      if (last !== null) {
        deleted = this.stmt(
          `delete from change_event where created_at < strftime('%Y-%m-%d %H:%M:%f', 'now', ?) and id <= ?`,
        ).run(cutoff, last).changes;
        this.stmt(
          `insert into change_event_pruned (id, below) values (1, ?)
           on conflict (id) do update set below = max(below, excluded.below)`,
        ).run(last + 1);
      }
      this.stmt('commit').run();
      return deleted;
    } catch (error) {
      if (this.db?.inTransaction) this.stmt('rollback').run();
      if ((error as { code?: string }).code === 'SQLITE_BUSY') return 0;
      throw error;
    }
  }

  async close(): Promise<void> {
    this.commits?.close();
    this.commits = undefined;
    this.idle = undefined;
    this.statements.clear();
    this.db?.close();
    this.db = undefined;
  }
}
