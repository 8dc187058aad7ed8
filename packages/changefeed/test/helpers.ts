import pg from 'pg';
import { Category, Product, hotProjections } from '@tandem/models';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';
import {
  ChangeFeed,
  compileProjections,
  openFeedSource,
  type ChangeFeedOptions,
  type CompiledProjection,
  type FeedSource,
  type RecordChange,
  type SessionState,
} from '../src/index.js';

export { eventually } from '@tandem/models/testing';

export const FAST_OPTIONS: ChangeFeedOptions = {
  pollMs: 5,
  fallbackPollMs: 200,
  reconnectMaxMs: 200,
  staleAfterMs: 2000,
  retentionSeconds: 3600,
  pruneIntervalSeconds: 60,
};

/** A feed applied to plain maps: collection → id → JSON, and the revoked session ids. */
export function mapFeed(
  db: MigratedTestDatabase,
  options: Partial<ChangeFeedOptions> = {},
  source?: (projections: readonly CompiledProjection[]) => FeedSource,
) {
  const records = new Map<string, Map<number, string>>();
  const revoked = new Set<string>();
  const changes: RecordChange[] = [];
  const applySession = (s: SessionState) => (s.revoked ? revoked.add(s.sid) : revoked.delete(s.sid));
  const projections = compileProjections(
    hotProjections,
    (name) => db.orm.getMetadata().find(name) ?? undefined,
    db.target.dialect,
  );
  const feed = new ChangeFeed(
    source ? source(projections) : openFeedSource(db.target, projections),
    {
      async snapshot(snapshot) {
        records.clear();
        revoked.clear();
        for (const [collection, batches] of snapshot.collections) {
          const map = new Map<number, string>();
          for await (const rows of batches) for (const r of rows) map.set(r.id, r.json);
          records.set(collection, map);
        }
        snapshot.revokedSessions.forEach(applySession);
      },
      changes(batch) {
        for (const change of batch.changes) {
          changes.push(change);
          const map = records.get(change.collection)!;
          if (change.json === null) map.delete(change.id);
          else map.set(change.id, change.json);
        }
        batch.sessions.forEach(applySession);
      },
    },
    { ...FAST_OPTIONS, ...options },
  );
  return { feed, records, revoked, changes, projections };
}

type Em = ReturnType<MigratedTestDatabase['orm']['em']['fork']>;

/**
 * A test file's fixture: a migrated database holding what `seed` creates (flushed here) and a started
 * feed over it; `close` ends both.
 */
export async function seededFeed<T>(seed: (em: Em) => T) {
  const db = await createMigratedDatabase();
  const em = db.orm.em.fork();
  const seeded = seed(em);
  await em.flush();
  const fed = mapFeed(db);
  await fed.feed.start();
  const close = async () => {
    await fed.feed.close();
    await db.close();
  };
  return { db, seeded, ...fed, close };
}

/** A published product of `category` (1 in stock, no tags), with `changes` over those defaults. */
export function createProduct(
  em: Em,
  category: Category,
  sku: string,
  changes: Partial<Product> = {},
): Product {
  return em.create(Product, {
    sku,
    name: sku.toLowerCase(),
    priceCents: 500,
    currency: 'EUR',
    stock: 1,
    category,
    tags: [],
    published: true,
    ...changes,
  });
}

/**
 * For the PostgreSQL tests of transaction order: a started feed over a fresh database with one
 * category, a plain client (`writer`) and `insertProduct`, which inserts a published product with
 * any client (one holding a transaction open, say) and returns its id. `close` ends all of it.
 */
export async function productWriterFixture() {
  const db = await createMigratedDatabase();
  const writer = new pg.Client({ connectionString: db.url });
  await writer.connect();
  const subject = mapFeed(db);
  const em = db.orm.em.fork();
  const category = em.create(Category, { name: 'Cat', slug: 'cat' });
  await em.flush();
  await subject.feed.start();
  return {
    db,
    writer,
    subject,
    async insertProduct(client: pg.Client, sku: string, priceCents = 100): Promise<number> {
      const { rows } = await client.query<{ id: number }>(
        `insert into products (sku, name, price_cents, currency, stock, category_id, published)
         values ($1, $1, $2, 'EUR', 1, $3, true) returning id`,
        [sku, priceCents, category.id],
      );
      return Number(rows[0]!.id);
    },
    products: () =>
      [...subject.records.get('products')!.values()].map(
        (json) => JSON.parse(json) as { sku: string; priceCents: number },
      ),
    async close(): Promise<void> {
      await subject.feed.close();
      await writer.end();
      await db.close();
    },
  };
}
