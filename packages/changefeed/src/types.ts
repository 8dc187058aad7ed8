/** One record of a hot collection as the database serialized it (the bytes clients will receive). */
export interface RecordRow {
  readonly id: number;
  /** The projection's JSON, built by the database (json_build_object / json_object). */
  readonly json: string;
}

/** The current state of a changed record: `json` null means absent (deleted or filtered out). */
export interface RecordChange {
  readonly collection: string;
  readonly id: number;
  readonly json: string | null;
}

/** A session as revocation sees it; a deleted session counts as revoked. */
export interface SessionState {
  readonly sid: string;
  readonly revoked: boolean;
  /**
   * Until when the revocation matters, in epoch ms: min(expires_at, revoked_at) plus the longest
   * token life past its session (revocationKeptUntilMs), or the deletion plus that window. A node
   * forgets the revocation after it, as no token of the session can be accepted any more.
   */
  readonly keepUntilMs: number;
}

export interface Snapshot {
  /** Where tailing starts: a transaction-id watermark (PostgreSQL) or an event id (SQLite). */
  readonly position: string;
  /**
   * Each collection's rows in batches, streamed from the database (a cursor), so a million-record
   * snapshot never sits in memory twice. Valid only inside `FeedSource.snapshot`'s callback; read once.
   */
  readonly collections: ReadonlyMap<string, AsyncIterable<readonly RecordRow[]>>;
  readonly revokedSessions: readonly SessionState[];
}

export interface ChangeBatch {
  readonly changes: readonly RecordChange[];
  readonly sessions: readonly SessionState[];
  /** Outbox events this batch covered (several events of one record collapse into one change). */
  readonly events: number;
}

export interface ReadResult extends ChangeBatch {
  readonly position: string;
  /**
   * Committed events not read yet: past the end of one read's slice of a backlog, or (the Redis relay's
   * read of PostgreSQL) behind an older transaction still running.
   */
  readonly pending: number;
  /** Age of the oldest of those, in ms (0 when none). */
  readonly pendingAgeMs: number;
}

/**
 * Where the feed reads from: PostgreSQL (LISTEN/NOTIFY + txid watermark), SQLite (poll by id), or the
 * Redis Stream a relay fills from either (FEED=redis).
 */
export interface FeedSource {
  readonly dialect: 'sqlite' | 'postgresql' | 'redis';
  /**
   * True while `wake` is called after every commit (PostgreSQL's NOTIFY, SQLite's watched WAL file):
   * an idle feed then reads every FEED_FALLBACK_POLL_MS instead of every FEED_POLL_MS.
   */
  readonly notifiesOfCommits: boolean;
  /** Opens connections; `wake` is called on a change notification, `lost` when a connection dies. */
  connect(wake: () => void, lost: (error: Error) => void): Promise<void>;
  /** Opens a consistent snapshot, hands it to `consume`, and closes it when `consume` is done. */
  snapshot<T>(consume: (snapshot: Snapshot) => Promise<T>): Promise<T>;
  /** Reads past `position`; throws PositionLostError when events past it were pruned unread. */
  read(position: string): Promise<ReadResult>;
  /**
   * Deletes outbox events older than the retention that the reader at `position` has read (never one
   * past it, however old), and records the bound of what it deleted where every reader's `read` sees it:
   * a reader that had not read them all throws PositionLostError there. Returns how many it deleted.
   */
  prune(retentionSeconds: number, position: string): Promise<number>;
  close(): Promise<void>;
}
