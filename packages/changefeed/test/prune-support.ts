/**
 * Fixtures of the prune tests: a feed resumed from a position (as the Redis relay resumes from its
 * stream), a backlog wider than one read, and the outbox's contents, on either database.
 */
import { Category } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { ChangeFeed, openRelaySource, type ChangeFeedOptions } from '../src/index.js';
import { FAST_OPTIONS } from './helpers.js';
import { projectionsFor } from './redis-support.js';

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A retention short enough to outwait in a test; every read prunes. */
export const SHORT_RETENTION: Partial<ChangeFeedOptions> = { retentionSeconds: 2, pruneIntervalSeconds: 0 };

/** Longer than SHORT_RETENTION: events written before it are old enough to prune. */
export const OUTWAIT_RETENTION_MS = 3000;

export async function outboxFixture() {
  const db = await createMigratedDatabase();
  const em = db.orm.em.fork();
  const category = em.create(Category, { name: 'Cat', slug: 'cat' });
  await em.flush();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw rows in a test
  const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
    db.orm.em.getConnection().execute(query, params);
  const postgres = testDialect() === 'postgresql';
  return {
    db,
    sql,
    /** Inserts a published product; returns its id. */
    async insertProduct(sku: string): Promise<number> {
      await sql(
        `insert into products (sku, name, price_cents, currency, stock, category_id, published, tags)
         values (?, ?, 1, 'EUR', 1, ?, ${postgres ? 'true' : '1'}, '[]')`,
        [sku, sku, category.id],
      );
      return Number((await sql('select id from products where sku = ?', [sku]))[0].id);
    },
    /** How many outbox events name this product (0 once pruned). */
    async productEvents(id: number): Promise<number> {
      const rows = await sql(
        `select count(*) as n from change_event where table_name = 'products' and record_id = ?`,
        [String(id)],
      );
      return Number(rows[0].n);
    },
    /**
     * More than one read takes: on PostgreSQL 100,010 transaction ids (TXID_SPAN is 100,000 per read),
     * on SQLite 10,005 events (BATCH is 10,000).
     */
    async backlogWiderThanOneRead(): Promise<void> {
      if (postgres)
        await sql(
          `do $$ begin for i in 1..100010 loop perform pg_current_xact_id(); commit; end loop; end $$`,
        );
      else
        await sql(
          `with recursive n(i) as (select 1 union all select i + 1 from n where i < 10005)
           insert into categories (name, slug) select 'c' || i, 'c' || i from n`,
        );
    },
  };
}

/**
 * A feed of the relay's kind (no read-ahead on PostgreSQL) that resumes from `position` without a
 * snapshot, as the relay resumes from its stream's last entry. Its records start empty: they hold what
 * it read after `position`, or a snapshot's, once it reloads.
 */
export function resumedFeed(db: MigratedTestDatabase, position: string, options: Partial<ChangeFeedOptions>) {
  const records = new Map<string, Map<number, string>>();
  const collection = (name: string) => {
    let map = records.get(name);
    if (!map) records.set(name, (map = new Map()));
    return map;
  };
  let snapshots = 0;
  const projections = projectionsFor(db);
  const feed = new ChangeFeed(
    openRelaySource(db.target, projections),
    {
      resume: async () => position,
      async snapshot(snapshot) {
        snapshots += 1;
        records.clear();
        for (const [name, batches] of snapshot.collections)
          for await (const rows of batches) for (const r of rows) collection(name).set(r.id, r.json);
      },
      changes(batch) {
        for (const change of batch.changes)
          if (change.json === null) collection(change.collection).delete(change.id);
          else collection(change.collection).set(change.id, change.json);
      },
    },
    { ...FAST_OPTIONS, ...options },
  );
  return {
    feed,
    has: (name: string, id: number) => records.get(name)?.has(id) === true,
    snapshots: () => snapshots,
  };
}
