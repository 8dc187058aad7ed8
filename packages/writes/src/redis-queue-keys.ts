/**
 * The Redis keys of the write queue, all under one prefix (WRITE_REDIS_PREFIX, default `tandem:writes`):
 *   {prefix}:{p}                      partition p's stream (entry id `<write id>-0`, field `w` = the write)
 *   {prefix}:seq                      the last write id given out
 *   {prefix}:depth                    the queue depth as last counted plus accepts since (an upper
 *                                     bound for the accept script's depth check; expires unless recounted)
 *   {prefix}:idem:{n}:{subject}:{key} `<id> <bodyHash>` of a subject's Idempotency-Key, for 24 h
 *   {prefix}:queued:{id}              the writer's subject while the write is queued (isQueued)
 *   {prefix}:lease:{p}                the applier holding partition p
 *   {prefix}:appliers                 live appliers (sorted set, score = last heartbeat in ms)
 */
export class RedisQueueKeys {
  readonly seq: string;
  readonly depth: string;
  readonly queuedPrefix: string;
  readonly appliers: string;
  readonly streams: readonly string[];

  constructor(
    readonly prefix: string,
    readonly partitions: number,
  ) {
    this.seq = `${prefix}:seq`;
    this.depth = `${prefix}:depth`;
    this.queuedPrefix = `${prefix}:queued:`;
    this.appliers = `${prefix}:appliers`;
    this.streams = Array.from({ length: partitions }, (_, p) => `${prefix}:${p}`);
  }

  stream(partition: number): string {
    const key = this.streams[partition];
    if (key === undefined)
      throw new RangeError(`no partition ${partition} (WRITE_PARTITIONS=${this.partitions})`);
    return key;
  }

  /** The subject's length goes first: a subject may hold `:` (client:<id>), and so may a key. */
  idempotency(subject: string, key: string): string {
    return `${this.prefix}:idem:${subject.length}:${subject}:${key}`;
  }

  queued(id: number): string {
    return `${this.queuedPrefix}${id}`;
  }

  lease(partition: number): string {
    return `${this.prefix}:lease:${partition}`;
  }
}

/** The consumer group every applier reads the partition streams through. */
export const CONSUMER_GROUP = 'appliers';

/** A write's stream entry id: the write id itself, so an ack needs nothing but the write. */
export function entryId(writeId: number): string {
  return `${writeId}-0`;
}

export function writeIdOfEntry(entry: string): number {
  const id = Number(entry.slice(0, entry.indexOf('-')));
  if (!Number.isSafeInteger(id) || id < 1)
    throw new Error(`write queue: stream entry ${entry} is not a write id`);
  return id;
}
