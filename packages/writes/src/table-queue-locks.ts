import pg from 'pg';

/** Advisory lock keys (two int4 form): the first says what the lock is, the second which one. */
const PARTITION_LOCK = 0x54_57_41_50; // 'TWAP': one lock per queue partition
const APPLIER_LOCK = 0x54_57_41_41; // 'TWAA': one per live applier, to count them

/**
 * PostgreSQL session advisory locks on a dedicated connection: which partitions of the table queue
 * this applier holds. A lock lasts as long as the session, so a dead applier's partitions are free
 * the moment the server sees its connection close — no lease to wait out. Each applier also holds a
 * lock named by its backend pid, so all can count the live ones and take ceil(partitions / live).
 */
export class AdvisoryPartitionLocks {
  readonly held = new Set<number>();
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private lastRound = 0;
  private readonly offset: number;

  constructor(
    private readonly url: string,
    private readonly partitions: number,
    /** How often holdings are revisited (surplus given up, free partitions taken). */
    private readonly roundMs: number,
    /** Called on every notification of the change channel (a new queued row wakes the applier). */
    private readonly wake: () => void,
    private readonly notifyChannel: string,
  ) {
    this.offset = Math.floor(Math.random() * partitions);
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    this.connecting ??= (async () => {
      const client = new pg.Client({
        connectionString: this.url,
        application_name: 'tandem-applier-locks',
        connectionTimeoutMillis: 5000,
      });
      // A lost session lost its locks: hold nothing until reconnected.
      const lost = () => {
        if (this.client === client) this.client = undefined;
        this.held.clear();
      };
      client.on('error', lost);
      client.on('end', lost);
      client.on('notification', () => this.wake());
      try {
        await client.connect();
        await client.query(`listen ${this.notifyChannel}`);
        await client.query('select pg_advisory_lock($1, pg_backend_pid())', [APPLIER_LOCK]);
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      this.client = client;
      this.lastRound = 0;
      return client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** The partitions held after this round; a round runs at most every roundMs. */
  async refresh(canRelease: (partition: number) => boolean): Promise<readonly number[]> {
    const client = await this.connection();
    if (Date.now() - this.lastRound < this.roundMs) return [...this.held];
    this.lastRound = Date.now();
    const { rows } = await client.query<{ live: string }>(
      `select count(*) as live from pg_locks
        where locktype = 'advisory' and granted and classid::bigint = $1 and objsubid = 2
          and database = (select oid from pg_database where datname = current_database())`,
      [APPLIER_LOCK],
    );
    const share = Math.ceil(this.partitions / Math.max(1, Number(rows[0]?.live ?? 1)));
    for (const partition of [...this.held].sort((a, b) => b - a)) {
      if (this.held.size <= share) break;
      if (!canRelease(partition)) continue;
      await client.query('select pg_advisory_unlock($1, $2)', [PARTITION_LOCK, partition]);
      this.held.delete(partition);
    }
    for (let i = 0; i < this.partitions && this.held.size < share; i++) {
      const partition = (this.offset + i) % this.partitions;
      if (this.held.has(partition)) continue;
      const taken = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, $2) as ok', [
        PARTITION_LOCK,
        partition,
      ]);
      if (taken.rows[0]?.ok === true) this.held.add(partition);
    }
    return [...this.held];
  }

  /** Ends the session: the server releases every lock with it. */
  async close(): Promise<void> {
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    this.held.clear();
    await client?.end().catch(() => undefined);
  }
}
