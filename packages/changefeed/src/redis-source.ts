import { Redis } from 'ioredis';
import { PositionLostError } from './position-lost.js';
import { comparePositions, decodeEntry, streamId } from './stream-entry.js';
import type { FeedSource, ReadResult, RecordChange, SessionState, Snapshot } from './types.js';

const BATCH_ENTRIES = 500;
/** How long one read waits in Redis for a new entry; the feed loop polls again right after. */
const BLOCK_MS = 50;

type XReadReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

/**
 * A fast node's feed when FEED=redis: snapshot from the database once (its connection is closed right
 * after, so N replicas do not each hold a PostgreSQL connection), then tail the Redis Stream the relay
 * fills, from the entry matching the snapshot's position. Every node reads every entry (fan-out), so
 * no consumer group is needed.
 */
export class RedisStreamSource implements FeedSource {
  readonly dialect = 'redis';
  /** A read blocks briefly on the stream itself (XREAD BLOCK); there is nothing else to wait for. */
  readonly notifiesOfCommits = false;
  private redis: Redis | undefined;

  constructor(
    private readonly database: () => FeedSource,
    private readonly redisUrl: string,
    private readonly streamKey: string,
  ) {}

  async connect(_wake: () => void, lost: (error: Error) => void): Promise<void> {
    await this.close();
    // No reconnecting inside ioredis: the ChangeFeed owns reconnects (backoff, then resume or reload).
    const redis = new Redis(this.redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined); // surfaced through `lost` and failed commands
    redis.on('end', () => lost(new Error('redis connection closed')));
    this.redis = redis;
    await redis.connect();
  }

  async snapshot<T>(consume: (snapshot: Snapshot) => Promise<T>): Promise<T> {
    const database = this.database();
    await database.connect(
      () => undefined,
      () => undefined,
    );
    try {
      return await database.snapshot(consume);
    } finally {
      await database.close();
    }
  }

  async read(position: string): Promise<ReadResult> {
    if (!this.redis) throw new Error('not connected');
    const reply = (await this.redis.xread(
      'COUNT',
      BATCH_ENTRIES,
      'BLOCK',
      BLOCK_MS,
      'STREAMS',
      this.streamKey,
      streamId(position),
    )) as XReadReply;
    const entries = reply?.[0]?.[1] ?? [];
    const changes: RecordChange[] = [];
    const sessions: SessionState[] = [];
    let events = 0;
    let at = position;
    for (const [id, fields] of entries) {
      const entry = decodeEntry(id, fields);
      // Entries must chain: this batch starts at or before where we are. A later start means entries
      // between were trimmed away (or Redis lost the stream): only a new snapshot is safe.
      if (comparePositions(entry.from, at) > 0) {
        throw new PositionLostError(`change stream gap: at ${at}, next entry starts at ${entry.from}`);
      }
      for (const change of entry.batch.changes) changes.push(change);
      for (const session of entry.batch.sessions) sessions.push(session);
      events += entry.batch.events;
      at = entry.to;
    }
    return { position: at, changes, sessions, events, pending: 0, pendingAgeMs: 0 };
  }

  /** The relay prunes the outbox and trims the stream; a consumer deletes nothing. */
  async prune(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    const redis = this.redis;
    this.redis = undefined;
    if (redis) {
      redis.removeAllListeners('end');
      redis.disconnect();
    }
  }
}
