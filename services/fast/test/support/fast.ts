import { loadConfig, type Config } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { Category, Product } from '@tandem/models';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';
import { startFast, type FastServer } from '../../src/server.js';
import { eventually } from '@tandem/models/testing';
import { TestIssuer } from './issuer.js';

export interface Harness {
  readonly db: MigratedTestDatabase;
  readonly issuer: TestIssuer;
  readonly fast: FastServer;
  readonly config: Config;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw rows in tests
  sql(query: string, params?: unknown[]): Promise<any[]>;
  close(): Promise<void>;
}

/** A migrated test database, a real issuer, and the fast service on port 0 with a loaded snapshot. */
export async function startHarness(
  env: Record<string, string> | ((db: MigratedTestDatabase) => Record<string, string>) = {},
  seed?: (db: MigratedTestDatabase) => Promise<void>,
  /** Settings loadConfig refuses on purpose (e.g. an outbox retention of seconds, to force a reload). */
  tune: (config: Config) => Config = (config) => config,
): Promise<Harness> {
  const db = await createMigratedDatabase();
  const issuer = await TestIssuer.start();
  if (seed) await seed(db);
  const loaded = loadConfig({
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    FAST_PORT: '0',
    TOKEN_ISSUER: issuer.url,
    TOKEN_AUDIENCE: 'tandem',
    LOG_LEVEL: 'silent',
    FEED_POLL_MS: '5',
    FEED_FALLBACK_POLL_MS: '200',
    FEED_RECONNECT_MAX_MS: '200',
    JWKS_REFETCH_MIN_SECONDS: '1',
    ...(typeof env === 'function' ? env(db) : env),
  });
  const config = tune(loaded);
  const fast = await startFast({ config, orm: db.orm, logger: createLogger('fast', 'silent') });
  await fast.ready;
  // Ready for data; /healthz is 200 once the issuer's keys are held too (fetched concurrently).
  await eventually('the signing keys are fetched', () => fast.jwks.size > 0);
  return {
    db,
    issuer,
    fast,
    config,
    sql: (query, params = []) => db.orm.em.getConnection().execute(query, params),
    async close() {
      await fast.close();
      await issuer.stop();
      await db.close();
    },
  };
}

/** A category with `count` published products (and one unpublished). */
export async function seedCatalog(db: MigratedTestDatabase, count = 3): Promise<void> {
  const em = db.orm.em.fork();
  const garden = em.create(Category, { name: 'Garden', slug: 'garden' });
  const kitchen = em.create(Category, { name: 'Kitchen', slug: 'kitchen' });
  for (let i = 1; i <= count; i++) {
    em.create(Product, {
      sku: `SKU-${i}`,
      name: `Product ${i}`,
      priceCents: 100 * i,
      currency: 'EUR',
      stock: i,
      category: i % 2 === 0 ? kitchen : garden,
      tags: ['t'],
      published: true,
    });
  }
  em.create(Product, {
    sku: 'DRAFT',
    name: 'Draft',
    priceCents: 1,
    currency: 'EUR',
    stock: 0,
    category: garden,
    tags: [],
    published: false,
  });
  await em.flush();
}

export { eventually } from '@tandem/models/testing';
