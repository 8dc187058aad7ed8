import pg from 'pg';
import { revocationSource } from '@tandem/models';
import { projectionsByTable, resolveEvents, type ChangedRows, type OutboxEvent } from './group-events.js';
import { DELETED_SESSION_TOKENS_SECONDS } from './deleted-sessions.js';
import { REVOCATION_KEPT_MS, revocationKeptUntilMs } from './revocation-window.js';
import type { CompiledProjection } from './projection.js';
import { SNAPSHOT_BATCH } from './snapshot-batches.js';
import { formatPostgresPosition, parsePostgresPosition, type PostgresPosition } from './postgres-position.js';
import { PositionLostError } from './position-lost.js';
import type { FeedSource, ReadResult, RecordRow, SessionState, Snapshot } from './types.js';

export const NOTIFY_CHANNEL = 'tandem_change';

/** At most this many transaction ids are consumed per read, so a huge backlog is applied in slices. */
const TXID_SPAN = 100_000;

const S = revocationSource;

/** The read counts the events after its window (the lag) up to this many; `countLag` counts more. */
export const LAG_COUNTED_IN_READ = 1000;

/**
 * The reading connection's setting. Every statement a read sends looks rows up by key (the outbox by
 * txid, each re-read by primary key), and each is a prepared statement: after five executions
 * PostgreSQL may keep one plan made without the parameters' values. Made while a table was small, that
 * plan reads the table whole; kept while the table grows (no new statistics: autovacuum has not
 * analyzed it yet, or is off), each re-read compared every row with every id. Measured in the writes
 * bench after a 100,000-order drain: the feed's backend at 64% of a core, write -> visible p50 2.9 s;
 * with sequential scans off it is 7% and 65 ms. The snapshot, which does read whole tables, turns them
 * back on for its transaction.
 */
export const FEED_SESSION_SETUP = 'set enable_seqscan = off';

/**
 * A read of the feed in one round trip: the window, its events and what is left after it (the lag).
 * Each read is on the path of every change (commit -> frame), and a round trip costs both processes
 * CPU and time. Parameters: $1 the watermark, $2 TXID_SPAN, $3 the horizon read up to before and $4
 * the transactions running below it then (both from the position; $3 = $1 and $4 empty when nothing
 * above the watermark was read), $5 whether to read ahead.
 *
 * The watermark moves to the snapshot's xmin (at most TXID_SPAN at a time); the horizon is the
 * snapshot's xmax (or the span's end). The events read are those of the transactions in
 * [$1, horizon) the snapshot sees (committed) and the last read did not: at or above $3, or in $4.
 * Without read-ahead (the Redis relay, whose entries are named by their watermark), events are read
 * only once the watermark moves, and then every one from $1 on, including those above the new
 * watermark (read again next time).
 *
 * The lag (committed events not read: past the span's end, or, without read-ahead, above the
 * watermark) is counted along the txid index, in txid order, up to LAG_COUNTED_IN_READ: the planner
 * cannot see the window's value when planning, and without statistics on the outbox (a bulk load that
 * autovacuum has not analyzed yet) a plain count read the whole table on every read, ~8-11 ms with
 * 100,000 events kept. An ordered scan that stops early is the cheapest plan whatever it guesses. But
 * with a few thousand events and no statistics the planner still sorts a sequential scan (0.4 ms), so
 * reading ahead the count runs only when the span cut the read short (`cut`, a one-time filter: with
 * it false the scan never starts); otherwise nothing committed is left unread. The read of the
 * transactions that were running is skipped the same way when there were none (the plan kept for the
 * prepared statement, made without the parameters' values, may scan for them).
 *
 * `pruned_below` is the prune's mark (PRUNE_SQL): every event ever pruned had a txid below it. It is
 * read in the same snapshot as the events, so a prune this read does not see has not deleted anything
 * it reads either.
 */
export const READ_WINDOW_SQL = `with s as (select pg_current_snapshot() as snap),
        w as (select greatest($1::bigint, least(pg_snapshot_xmin(snap)::text::bigint, $1::bigint + $2)) as upto,
                     least(pg_snapshot_xmax(snap)::text::bigint, $1::bigint + $2) as horizon,
                     $1::bigint + $2 < pg_snapshot_xmax(snap)::text::bigint as cut, snap
                from s),
        p as (select count(*)::int as pending,
                     (extract(epoch from clock_timestamp() - min(created_at)) * 1000)::float8 as age
                from (select created_at from change_event
                       where txid >= (select case when $5::boolean then horizon else upto end from w)
                         and (not $5::boolean or (select cut from w))
                       order by txid limit ${LAG_COUNTED_IN_READ}) lag)
   select w.upto::text as upto, w.horizon::text as horizon,
          (select below::text from change_event_pruned where id = 1) as pruned_below,
          array(select x::text from pg_snapshot_xip(w.snap) x
                 where x::text::bigint >= w.upto and x::text::bigint < w.horizon) as running,
          p.pending, p.age, e.table_name, e.record_id
     from w cross join p left join lateral (
       select table_name, record_id, id from change_event
        where ($5::boolean or w.upto > $1::bigint) and txid >= $3::bigint and txid < w.horizon
       union all
       select table_name, record_id, id from change_event
        where cardinality($4::bigint[]) > 0 and txid = any($4::bigint[]) and txid < w.horizon
       order by id
     ) e on true`;

/**
 * Deletes the events older than the retention ($1 seconds) of the transactions below the reader's
 * watermark ($2), and raises the mark `change_event_pruned.below` above every txid it deleted, in the
 * same transaction. The watermark bound keeps what this reader has not read: by age alone, an event
 * committed behind a transaction left open longer than the retention (the watermark waits for it) or
 * a backlog past one read's TXID_SPAN was deleted before it was read, and no reader noticed. The mark
 * is for the other readers of the outbox (fast nodes reading directly, a relay): a reader that has not
 * read every event below it reloads (PositionLostError) instead of going on without them.
 */
export const PRUNE_SQL = `with pruned as (
       delete from change_event
        where created_at < now() - make_interval(secs => $1) and txid < $2::bigint
       returning txid),
     mark as (
       insert into change_event_pruned (id, below)
       select 1, max(txid) + 1 from pruned having count(*) > 0
       on conflict (id) do update set below = greatest(change_event_pruned.below, excluded.below))
   select count(*)::int as n from pruned`;

/**
 * The smallest txid whose events the reader at `from` may not have read: below the horizon it read
 * every transaction but those then running; above it, none. A prune mark above it may have taken some.
 */
function firstUnread(from: PostgresPosition): bigint {
  let first = BigInt(from.horizon);
  for (const txid of from.running) if (BigInt(txid) < first) first = BigInt(txid);
  return first;
}

/**
 * PostgreSQL source. Lossless under concurrency by construction: each event carries its writer's
 * transaction id, and the watermark only moves to the snapshot's xmin: every transaction below it has
 * ended, so none of their events can appear later. An event whose id was allocated early but committed
 * late belongs to a transaction at or above xmin until it ends, so it is read by a later call, never
 * skipped. Order across transactions does not matter because applying an event re-reads the row's
 * current state (idempotent, convergent).
 *
 * Reading ahead (the default): a read also takes the events of every transaction above the watermark
 * that the snapshot sees committed, and the position remembers which transactions below the snapshot's
 * xmax it did not see yet (those running), so each event is read once. Without it a transaction that
 * stays open held every later commit back, on the whole server (xmin is server-wide: another
 * database's long transaction, or one applier's batch behind the other's), and commit -> frame grew by
 * however long that was.
 *
 * A batch never shows part of a transaction. A read is one REPEATABLE READ snapshot: a transaction
 * is in it whole or not at all, and the rows its events name are re-read in that snapshot. (Read
 * outside it, a row could show a later transaction's effect without that transaction's other rows: a
 * `writes` row showing the applier's outcome before the order it names is served. A backlog cut at
 * TXID_SPAN may still end inside a later transaction's rows.)
 */
export class PostgresSource implements FeedSource {
  readonly dialect = 'postgresql';
  readonly notifiesOfCommits = true;
  private client: pg.Client | undefined;
  private listener: pg.Client | undefined;
  private readonly byTable: Map<string, CompiledProjection[]>;
  private hasSessions = false;
  private readonly applicationName: string;
  private readonly readAhead: boolean;
  private lost: (error: Error) => void = () => undefined;

  constructor(
    private readonly url: string,
    private readonly projections: readonly CompiledProjection[],
    options: {
      readonly applicationName?: string;
      /** False for the Redis relay: its stream entries are named by their watermark (see READ_WINDOW_SQL). */
      readonly readAhead?: boolean;
    } = {},
  ) {
    this.byTable = projectionsByTable(projections);
    this.applicationName = options.applicationName ?? 'tandem-fast-feed';
    this.readAhead = options.readAhead ?? true;
  }

  async connect(wake: () => void, lost: (error: Error) => void): Promise<void> {
    await this.close();
    this.lost = lost;
    const open = async () => {
      const client = new pg.Client({
        connectionString: this.url,
        application_name: this.applicationName,
        connectionTimeoutMillis: 5000,
      });
      client.on('error', (error) => lost(error));
      client.on('end', () => lost(new Error('database connection closed')));
      await client.connect();
      return client;
    };
    this.client = await open();
    await this.client.query(FEED_SESSION_SETUP);
    this.listener = await open();
    this.listener.on('notification', () => wake());
    await this.listener.query(`listen ${NOTIFY_CHANNEL}`);
    const { rows } = await this.client.query<{ ok: boolean }>(`select to_regclass($1) is not null as ok`, [
      S.table,
    ]);
    this.hasSessions = rows[0]?.ok === true;
  }

  private get db(): pg.Client {
    if (!this.client) throw new Error('not connected');
    return this.client;
  }

  async snapshot<T>(consume: (snapshot: Snapshot) => Promise<T>): Promise<T> {
    const db = this.db;
    // One REPEATABLE READ transaction: every projection and the watermark come from the same snapshot.
    // Events of transactions at or above its xmin may already be reflected; re-applying them is harmless.
    await db.query('begin isolation level repeatable read read only');
    try {
      // A snapshot reads whole tables: planned as any query is (FEED_SESSION_SETUP is for lookups).
      await db.query('set local enable_seqscan = on');
      const { rows } = await db.query<{ x: string }>(
        'select pg_snapshot_xmin(pg_current_snapshot())::text as x',
      );
      const position = rows[0]!.x;
      const revokedSessions: SessionState[] = this.hasSessions
        ? (
            await db.query<{ sid: string; exp: number; rev: number }>(
              `select ${S.idColumn}::text as sid, (extract(epoch from ${S.expiresAtColumn}) * 1000)::float8 as exp,
                      (extract(epoch from ${S.revokedAtColumn}) * 1000)::float8 as rev
                 from ${S.table}
                where ${S.revokedAtColumn} is not null
                  and least(${S.expiresAtColumn}, ${S.revokedAtColumn}) > now() - make_interval(secs => $1::float8)`,
              [REVOCATION_KEPT_MS / 1000],
            )
          ).rows.map((r) => ({ sid: r.sid, revoked: true, keepUntilMs: revocationKeptUntilMs(r.exp, r.rev) }))
        : [];
      if (this.hasSessions) for (const sid of await this.deletedSessions(db)) revokedSessions.push(sid);
      const collections = new Map<string, AsyncIterable<readonly RecordRow[]>>();
      this.projections.forEach((p, i) =>
        collections.set(p.collection, cursorBatches(db, `snapshot_${i}`, p.snapshotSql)),
      );
      const result = await consume({ position, collections, revokedSessions });
      await db.query('commit');
      return result;
    } catch (error) {
      await db.query('rollback').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Sessions deleted recently enough that their access tokens may still be presented. A deleted
   * session has no row to say it is revoked, so only its outbox delete event does: without these, a
   * restarted node would accept a deleted user's tokens again until they expire.
   */
  private async deletedSessions(db: pg.Client): Promise<SessionState[]> {
    const { rows } = await db.query<{ sid: string; exp: number }>(
      `select e.record_id as sid, (extract(epoch from max(e.created_at))::float8 + $2::float8) * 1000 as exp
         from change_event e
        where e.table_name = $1 and e.op = 'delete' and e.created_at > now() - make_interval(secs => $2::float8)
          and not exists (select 1 from ${S.table} s where s.${S.idColumn}::text = e.record_id)
        group by e.record_id`,
      [S.table, DELETED_SESSION_TOKENS_SECONDS],
    );
    return rows.map((r) => ({ sid: r.sid, revoked: true, keepUntilMs: Number(r.exp) }));
  }

  async read(position: string): Promise<ReadResult> {
    const db = this.db;
    // The window, its events, the lag left after it and the rows re-read all see one snapshot (above).
    await db.query('begin isolation level repeatable read read only');
    let result: ReadResult;
    try {
      result = await this.readInSnapshot(db, position);
    } catch (error) {
      await db.query('rollback').catch(() => undefined);
      throw error;
    }
    // Everything is read: the commit of a read-only transaction changes nothing, so the batch does not
    // wait for its round trip. The client sends statements in order, so the next read's BEGIN follows
    // it. A failed commit would leave the old snapshot open under the next read: the connection is
    // dropped instead.
    db.query('commit').catch((error: Error) => this.lost(error));
    return result;
  }

  private async readInSnapshot(db: pg.Client, position: string): Promise<ReadResult> {
    const from = parsePostgresPosition(position);
    const { rows } = await db.query<{
      upto: string;
      horizon: string;
      running: string[];
      pending: number;
      age: number | null;
      pruned_below: string | null;
      table_name: string | null;
      record_id: string | null;
    }>({
      name: 'tandem_feed_read',
      text: READ_WINDOW_SQL,
      values: [from.watermark, TXID_SPAN, from.horizon, from.running, this.readAhead],
    });
    const first = rows[0]!;
    // Another reader pruned events this one has not read (it was away, or further behind than the
    // retention): going on would skip them for good. Only a snapshot is safe.
    if (first.pruned_below !== null && BigInt(first.pruned_below) > firstUnread(from))
      throw new PositionLostError(
        `outbox events below txid ${first.pruned_below} were pruned; this reader had read only up to ${position}`,
      );
    let pending = first.pending;
    if (pending >= LAG_COUNTED_IN_READ)
      pending = await this.countLag(db, this.readAhead ? first.horizon : first.upto);
    const events: OutboxEvent[] = [];
    for (const r of rows)
      if (r.table_name !== null && r.record_id !== null)
        events.push({ table: r.table_name, recordId: r.record_id });
    const { changes, sessions } = await resolveEvents(events, this.byTable, this.changedRows);
    return {
      position: this.readAhead
        ? formatPostgresPosition({ watermark: first.upto, horizon: first.horizon, running: first.running })
        : first.upto,
      changes,
      sessions,
      events: events.length,
      pending,
      pendingAgeMs: Math.max(0, first.age ?? 0),
    };
  }

  /** Every event from `from` on, for a lag the read's count stopped at (a feed far behind). */
  private async countLag(db: pg.Client, from: string): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      'select count(*)::int as n from change_event where txid >= $1::bigint',
      [from],
    );
    return rows[0]!.n;
  }

  /** Reads back what the events name, by PostgreSQL's queries. */
  private readonly changedRows: ChangedRows = {
    sessions: async (sids) => {
      const found = await this.db.query<{ sid: string; exp: number; rev: number | null }>({
        name: 'tandem_feed_reread_sessions',
        text: `select ${S.idColumn}::text as sid, (extract(epoch from ${S.expiresAtColumn}) * 1000)::float8 as exp,
                (extract(epoch from ${S.revokedAtColumn}) * 1000)::float8 as rev
           from ${S.table} where ${S.idColumn}::text = any($1::text[])`,
        values: [sids],
      });
      return found.rows.map((r) => ({
        sid: r.sid,
        revoked: r.rev !== null,
        keepUntilMs: revocationKeptUntilMs(r.exp, r.rev),
      }));
    },
    records: async (projection, ids) => {
      const found = await this.db.query<{ id: number | string; json: string }>({
        name: `tandem_feed_reread_${projection.collection}`,
        text: projection.rereadSql,
        values: [ids],
      });
      return found.rows.map((r) => ({ id: Number(r.id), json: r.json }));
    },
  };

  async prune(retentionSeconds: number, position: string): Promise<number> {
    const { watermark } = parsePostgresPosition(position);
    const { rows } = await this.db.query<{ n: number }>(PRUNE_SQL, [retentionSeconds, watermark]);
    return rows[0]!.n;
  }

  async close(): Promise<void> {
    const clients = [this.client, this.listener];
    this.client = undefined;
    this.listener = undefined;
    for (const client of clients) {
      if (!client) continue;
      client.removeAllListeners('end');
      client.removeAllListeners('notification');
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}

type FetchedRows = pg.QueryResult<{ id: number | string; json: string }>;

/**
 * A projection's rows through a server-side cursor, a batch per FETCH; declared on first read. The next
 * FETCH is sent before the current batch is handed out, so PostgreSQL builds and sends it while the
 * consumer prepares this one (on separate cores) instead of the two taking turns. At most two batches
 * of rows are alive: the one being consumed and the one in flight.
 *
 * If the consumer stops early (it threw, or returned), the FETCH in flight is awaited and its failure,
 * if any, swallowed: the consumer's own error is the one that counts, and the transaction is rolled
 * back by `snapshot` either way. If a FETCH fails, its error reaches the consumer at its next read.
 */
async function* cursorBatches(
  db: pg.Client,
  cursor: string,
  sql: string,
): AsyncIterable<readonly RecordRow[]> {
  await db.query(`declare ${cursor} no scroll cursor for ${sql}`);
  const fetchNext = (): Promise<FetchedRows> => db.query(`fetch forward ${SNAPSHOT_BATCH} from ${cursor}`);
  let inFlight: Promise<FetchedRows> | undefined = fetchNext();
  try {
    for (;;) {
      const { rows } = await inFlight;
      inFlight = undefined;
      if (rows.length === 0) return;
      // A short batch is the last one: no need to ask again for the empty batch that follows.
      if (rows.length === SNAPSHOT_BATCH) inFlight = fetchNext();
      const batch: RecordRow[] = new Array<RecordRow>(rows.length);
      for (let i = 0; i < rows.length; i++) batch[i] = { id: Number(rows[i]!.id), json: rows[i]!.json };
      yield batch;
      if (!inFlight) return;
    }
  } finally {
    if (inFlight) await inFlight.catch(() => undefined);
    await db.query(`close ${cursor}`).catch(() => undefined);
  }
}
