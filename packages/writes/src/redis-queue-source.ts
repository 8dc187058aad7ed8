import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { QueuedWrite, WriteSource } from './queue.js';
import { decodePayload } from './redis-queue-payload.js';
import { CONSUMER_GROUP, RedisQueueKeys, entryId, writeIdOfEntry } from './redis-queue-keys.js';
import { PartitionLeases } from './redis-queue-leases.js';
import { withQueueScripts, type QueueScripts } from './redis-queue-scripts.js';
import type { WriteRequest } from './write-request.js';

export interface RedisSourceOptions {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly partitions: number;
  /** A partition lease lives this long without renewal; a dead applier's partitions move after it. */
  readonly leaseMs: number;
  /** This applier's consumer name in the group: unique per process (e.g. host and pid). */
  readonly consumer: string;
}

/** After a write is acknowledged, its queued marker lives this much longer (see the ACK script). */
const QUEUED_MARKER_AFTER_ACK_MS = 60_000;

/** A consumer with nothing pending and idle this long is deleted from the group (see forgetIdleConsumers). */
const CONSUMER_FORGET_IDLE_MS = 3_600_000;

/** The control connection's command timeout: a third of the lease (a round's period), at least a second. */
function controlTimeoutMs(leaseMs: number): number {
  return Math.max(1000, Math.floor(leaseMs / 3));
}

/** XREADGROUP's reply: per stream, its entries; an entry deleted while pending has null fields. */
type StreamReply = [stream: string, entries: [id: string, fields: string[] | null][]][] | null;

/**
 * The applier's side of the Redis Streams queue: reads the partitions it holds through the consumer
 * group, in entry (= write id) order per partition. Entries stay pending until ack(), which the
 * applier calls after its commit; whatever was delivered and not acknowledged (a failed batch, or a
 * dead applier's entries claimed with its partition) is delivered again, first.
 */
export class RedisWriteSource implements WriteSource {
  /** Commands, leases, acks. */
  private readonly control: Redis & QueueScripts;
  /** Blocking reads only, so they never hold up a lease renewal. */
  private readonly reader: Redis;
  private readonly keys: RedisQueueKeys;
  private readonly leases: PartitionLeases;
  /** Partitions whose pending entries must be read again before new ones (taken over, or not acked). */
  private readonly redeliver = new Set<number>();
  /** Write ids delivered and not acknowledged yet, by partition. */
  private readonly inFlight = new Map<number, Set<number>>();
  private readonly started: Promise<void>;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: RedisSourceOptions) {
    this.keys = new RedisQueueKeys(options.keyPrefix, options.partitions);
    // A command timeout: a round whose reply never comes (a stalled connection) fails and is retried,
    // rather than holding every later round behind it. A round's commands are single-key and quick.
    this.control = withQueueScripts(
      new Redis(options.redisUrl, {
        maxRetriesPerRequest: 1,
        commandTimeout: controlTimeoutMs(options.leaseMs),
      }),
    );
    this.reader = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
    for (const connection of [this.control, this.reader]) connection.on('error', () => undefined);
    this.leases = new PartitionLeases(this.control, this.keys, options.consumer, options.leaseMs, {
      acquired: (partition) => this.takeOver(partition),
      canRelease: (partition) => (this.inFlight.get(partition)?.size ?? 0) === 0,
    });
    this.started = this.tick();
  }

  /**
   * Lease rounds every third of the lease (more often while taking a share, PartitionLeases); a failed
   * round (Redis away, or a command past the control connection's timeout) is retried at the next one,
   * and meanwhile the partitions it did not renew are read only while their last renewal lasts
   * (PartitionLeases.readable).
   */
  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      await this.leases.tick();
    } catch {
      // Leases not renewed in time expire and another applier takes the partitions: that is the design.
    }
    if (!this.closed) {
      this.timer = setTimeout(() => void this.tick(), this.leases.nextRoundMs());
      this.timer.unref();
    }
  }

  /** A partition just taken: its group exists, and the entries its previous holder left pending are ours. */
  private async takeOver(partition: number): Promise<void> {
    const stream = this.keys.stream(partition);
    await this.ensureGroup(stream);
    let cursor = '0-0';
    do {
      const reply = (await this.control.call(
        'XAUTOCLAIM',
        stream,
        CONSUMER_GROUP,
        this.options.consumer,
        0,
        cursor,
        'COUNT',
        1000,
        'JUSTID',
      )) as [string, ...unknown[]];
      cursor = reply[0];
    } while (cursor !== '0-0');
    this.redeliver.add(partition);
    await this.forgetIdleConsumers(stream);
  }

  /**
   * Every applier process leaves a consumer in each group it read (its name has its pid), and nothing
   * removes it; the ones with nothing pending and idle for an hour are deleted here, at take-over, so the
   * groups do not collect one per restart. (Deleting one that is reading right then would drop what it
   * just read from the pending list: hence the hour, far beyond any lease.)
   */
  private async forgetIdleConsumers(stream: string): Promise<void> {
    const consumers = (await this.control.call('XINFO', 'CONSUMERS', stream, CONSUMER_GROUP)) as unknown[][];
    for (const fields of consumers) {
      const info = new Map<unknown, unknown>();
      for (let i = 0; i + 1 < fields.length; i += 2) info.set(fields[i], fields[i + 1]);
      const name = String(info.get('name'));
      const idle = Number(info.get('idle'));
      if (
        name !== this.options.consumer &&
        Number(info.get('pending')) === 0 &&
        idle > CONSUMER_FORGET_IDLE_MS
      )
        await this.control.call('XGROUP', 'DELCONSUMER', stream, CONSUMER_GROUP, name);
    }
  }

  private async ensureGroup(stream: string): Promise<void> {
    try {
      await this.control.xgroup('CREATE', stream, CONSUMER_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).startsWith('BUSYGROUP')) throw error;
    }
  }

  async next(max: number, waitMs: number): Promise<QueuedWrite[]> {
    await this.started;
    if (this.closed) return [];
    // Only partitions whose leases are known valid now, and no longer than they are (a blocked read
    // served after the lease ran out could take entries beside the applier that took the partition).
    const { partitions: held, forMs } = this.leases.readable();
    const readableUntil = performance.now() + forMs;
    if (held.length === 0) {
      await sleep(Math.min(waitMs, Math.max(50, Math.floor(this.options.leaseMs / 3))));
      return [];
    }
    try {
      const again = held.filter((p) => this.redeliver.has(p) || (this.inFlight.get(p)?.size ?? 0) > 0);
      if (again.length > 0) {
        const writes = await this.read(again, '0', Math.ceil(max / again.length), undefined);
        for (const p of again) if (!writes.some((w) => w.partition === p)) this.redeliver.delete(p);
        if (writes.length > 0) return await this.withDeliveries(writes);
      }
      const left = Math.floor(readableUntil - performance.now());
      if (left < 1) return [];
      const writes = await this.read(held, '>', Math.ceil(max / held.length), Math.min(waitMs, left));
      return writes.map((write) => ({ write, deliveries: 1, firstDelivery: true }));
    } catch (error) {
      if (this.closed) return [];
      if (String((error as Error).message).startsWith('NOGROUP')) {
        // The streams were lost (a Redis restart without persistence): recreate the groups.
        for (const p of held) {
          await this.ensureGroup(this.keys.stream(p));
          this.redeliver.add(p);
        }
        return [];
      }
      throw error;
    }
  }

  /** Reads the partitions' entries after `from` ('>' new ones, '0' this consumer's pending ones). */
  private async read(
    partitions: readonly number[],
    from: '>' | '0',
    count: number,
    blockMs: number | undefined,
  ): Promise<WriteRequest[]> {
    const streams = partitions.map((p) => this.keys.stream(p));
    const block = blockMs === undefined ? [] : ['BLOCK', Math.max(1, blockMs)];
    const reply = (await this.reader.call(
      'XREADGROUP',
      'GROUP',
      CONSUMER_GROUP,
      this.options.consumer,
      'COUNT',
      count,
      ...block,
      'STREAMS',
      ...streams,
      ...streams.map(() => from),
    )) as StreamReply;
    const writes: WriteRequest[] = [];
    const gone: { partition: number; ids: number[] }[] = [];
    // A history read answers for everything this consumer still has pending in those partitions.
    if (from === '0') for (const p of partitions) this.inFlight.set(p, new Set());
    for (const [stream, entries] of reply ?? []) {
      const partition = streams.indexOf(stream);
      const p = partitions[partition]!;
      const flying = new Set<number>();
      const deleted: number[] = [];
      for (const [entry, fields] of entries) {
        const id = writeIdOfEntry(entry);
        // Deleted while pending: its ack's XDEL ran and its XACK did not reach this consumer's list.
        if (fields === null) deleted.push(id);
        else {
          flying.add(id);
          writes.push(decodePayload(id, p, fields[1] ?? ''));
        }
      }
      if (deleted.length > 0) gone.push({ partition: p, ids: deleted });
      for (const id of flying) this.inFlightOf(p).add(id);
    }
    for (const { partition, ids } of gone) await this.ackIds(partition, ids);
    return writes;
  }

  private inFlightOf(partition: number): Set<number> {
    let ids = this.inFlight.get(partition);
    if (!ids) this.inFlight.set(partition, (ids = new Set()));
    return ids;
  }

  /** Redeliveries with their delivery counts (XPENDING), read once per partition. */
  private async withDeliveries(writes: readonly WriteRequest[]): Promise<QueuedWrite[]> {
    const counts = new Map<number, number>();
    for (const partition of new Set(writes.map((w) => w.partition))) {
      const ids = writes.filter((w) => w.partition === partition).map((w) => w.id);
      const pending = (await this.control.call(
        'XPENDING',
        this.keys.stream(partition),
        CONSUMER_GROUP,
        entryId(Math.min(...ids)),
        entryId(Math.max(...ids)),
        ids.length,
        this.options.consumer,
      )) as [string, string, number, number][];
      for (const [entry, , , deliveries] of pending) counts.set(writeIdOfEntry(entry), Number(deliveries));
    }
    return writes.map((write) => ({
      write,
      deliveries: Math.max(2, counts.get(write.id) ?? 2),
      firstDelivery: false,
    }));
  }

  async ack(writes: readonly WriteRequest[]): Promise<void> {
    const byPartition = new Map<number, number[]>();
    for (const write of writes) {
      const ids = byPartition.get(write.partition);
      if (ids) ids.push(write.id);
      else byPartition.set(write.partition, [write.id]);
    }
    // Sent together (ioredis pipelines concurrent commands on the connection): one round trip per
    // batch rather than one per partition it spans.
    await Promise.all([...byPartition].map(([partition, ids]) => this.ackIds(partition, ids)));
    // A partition above this applier's share waits for a moment with nothing in flight: this is one.
    // Failing here (Redis away) only leaves it to the next round.
    if (!this.closed) await this.leases.afterAck().catch(() => undefined);
  }

  private async ackIds(partition: number, ids: readonly number[]): Promise<void> {
    await this.control.writeAck(
      this.keys.stream(partition),
      CONSUMER_GROUP,
      this.keys.queuedPrefix,
      QUEUED_MARKER_AFTER_ACK_MS,
      ...ids,
    );
    const flying = this.inFlight.get(partition);
    if (flying) for (const id of ids) flying.delete(id);
  }

  /** Stops taking partitions and gives those held up (after the applier's last ack). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.reader.disconnect();
    await this.started;
    await this.leases.releaseAll().catch(() => undefined);
    await this.control.quit().catch(() => this.control.disconnect());
  }
}
