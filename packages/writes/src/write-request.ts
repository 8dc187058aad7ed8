import { hash } from 'node:crypto';

export type WriteOp = 'create' | 'update' | 'delete';

/** One accepted write, as the queue carries it from the fast service to the applier. */
export interface WriteRequest {
  /** Allocated by the queue in accept(); the id of its row in `writes` and of `/v1/writes/{id}`. */
  readonly id: number;
  readonly collection: string;
  readonly op: WriteOp;
  /** The target record (update/delete); null for a create. */
  readonly recordId: string | null;
  /** The validated JSON body (null for a delete). */
  readonly body: Readonly<Record<string, unknown>> | null;
  /** The writer's token `sub` (a user id as decimal, or `client:<id>`). */
  readonly subject: string;
  /** The row-access claim value (the owner's user id) when the collection has rowAccess. */
  readonly ownerKey: string | null;
  /** The token's `sid`. */
  readonly sessionId: string | null;
  readonly ifMatch: string | null;
  readonly idempotencyKey: string | null;
  /** writeBodyHash() of the request: decides whether a retry with the same key is the same write. */
  readonly bodyHash: string;
  /** Queue partition, 0..partitions-1: writes of one partition are applied in queue order. */
  readonly partition: number;
  /** When the queue accepted it, ms since the epoch. */
  readonly acceptedAt: number;
}

/**
 * The partition a write goes to. Updates and deletes of one record always land in the same partition
 * (a stable hash of collection and record id), so they are applied in the order they were accepted;
 * creates have no record yet and are spread by the caller's sequence number.
 */
export function writePartition(
  collection: string,
  recordId: string | null,
  partitions: number,
  seq: number,
): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partitions must be ≥ 1 (got ${partitions})`);
  if (recordId === null) return Math.abs(Math.trunc(seq)) % partitions;
  return fnv1a32(`${collection}/${recordId}`) % partitions;
}

/** FNV-1a, 32 bits, over the UTF-16 code units: the same number in every process and every version. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * sha256 hex of the request: method, path and body bytes. Method and path are each followed by a
 * newline (neither can hold one), so no two different requests hash the same input.
 */
export function writeBodyHash(method: string, path: string, body: Uint8Array): string {
  // One-shot: a Hash object and an update() call per part cost ~1 µs more per write (fast's accept path).
  return hash('sha256', Buffer.concat([Buffer.from(`${method.toUpperCase()}\n${path}\n`), body]), 'hex');
}
