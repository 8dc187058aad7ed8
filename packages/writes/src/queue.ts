import type { WriteRequest } from './write-request.js';

/** What accept() did with a write. */
export type AcceptResult =
  /** Durable in the queue under this id. */
  | { kind: 'accepted'; id: number }
  /** Same subject, key and bodyHash as an earlier write: that write's id (nothing new queued). */
  | { kind: 'replayed'; id: number }
  /** Same subject and key, another bodyHash: the earlier write's id; the request is refused (422). */
  | { kind: 'key_reused'; id: number }
  /** The queue holds more than its bound: nothing queued; the request is refused (503, Retry-After). */
  | { kind: 'busy'; depth: number };

/** The fast service's side of the queue. */
export interface WriteQueue {
  /** Queues a write; resolves only once it is durable (or with why it was not queued). */
  accept(write: Omit<WriteRequest, 'id' | 'partition'>): Promise<AcceptResult>;
  /** Writes accepted and not yet acknowledged by an applier. */
  depth(): Promise<number>;
  /** Whether a write of this subject is still queued (GET /v1/writes/{id} before its outcome row exists). */
  isQueued(id: number, subject: string): Promise<boolean>;
  /**
   * Why a write answered 202 could still be lost by the queue's store as configured (for the start-up
   * log), or undefined. Only a store whose durability is its operator's setting has one (Redis).
   */
  durabilityWarning?(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** A write handed to an applier; `deliveries` > 1 when an earlier delivery was not acknowledged. */
export interface QueuedWrite {
  readonly write: WriteRequest;
  readonly deliveries: number;
  /**
   * The queue has no record of handing this write out before (Redis: a new stream entry), so no
   * applier can have recorded its outcome, unless the queue lost that record (a Redis restart that
   * kept the entry but not its delivery); the outcome row's unique id catches that case. The table
   * queue cannot tell (every applier's poll reads the same rows): always false there.
   */
  readonly firstDelivery: boolean;
}

/** The applier's side of the queue. */
export interface WriteSource {
  /** Waits (≤ waitMs) for writes of partitions this consumer holds; in queue order per partition. */
  next(max: number, waitMs: number): Promise<QueuedWrite[]>;
  /** After the database commit that recorded their outcomes. */
  ack(writes: readonly WriteRequest[]): Promise<void>;
  /** Releases its partitions. */
  close(): Promise<void>;
}
