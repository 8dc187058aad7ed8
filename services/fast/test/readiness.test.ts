import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import pg from 'pg';
import { loadConfig } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { FAILING } from '../src/observability/health.js';
import { startFast, type FastServer } from '../src/server.js';
import { eventually, seedCatalog } from './support/fast.js';
import { bearer, get } from './support/http.js';
import { TestIssuer } from './support/issuer.js';

/** A lock held by another connection that keeps the fast node from reading its snapshot. */
interface SnapshotHold {
  /** Resolves once the node's snapshot attempt has run into the lock. */
  blocked(fast: FastServer): Promise<void>;
  release(): Promise<void>;
}

/**
 * PostgreSQL: an ACCESS EXCLUSIVE lock on `products` in an open transaction; the snapshot's read of the
 * table waits for it (visible in pg_stat_activity). The feed's connections name themselves
 * 'tandem-fast-feed'.
 */
async function holdPostgres(db: MigratedTestDatabase): Promise<SnapshotHold> {
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  await holder.query('begin');
  await holder.query('lock table products in access exclusive mode');
  return {
    blocked: () =>
      eventually('the snapshot waits for the lock on products', async () => {
        // Inside a transaction pg_stat_activity is read once and kept: drop that copy on every look.
        await holder.query('select pg_stat_clear_snapshot()');
        const { rows } = await holder.query(
          `select 1 from pg_stat_activity
            where datname = current_database() and application_name = 'tandem-fast-feed' and wait_event_type = 'Lock'`,
        );
        return rows.length > 0;
      }),
    async release() {
      await holder.query('commit');
      await holder.end();
    },
  };
}

interface SqliteConnection {
  pragma(source: string): unknown;
  exec(sql: string): void;
  close(): void;
}

/**
 * SQLite (WAL): a connection in EXCLUSIVE locking mode keeps the file locked after its first write
 * until it closes, so every other connection gets SQLITE_BUSY. That needs no other connection open,
 * so the test's own ORM is closed first (the fast node only reads its metadata).
 */
async function holdSqlite(db: MigratedTestDatabase): Promise<SnapshotHold> {
  if (db.target.dialect !== 'sqlite') throw new Error('not a SQLite database');
  await db.orm.close(true);
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (
    file: string,
    options: { timeout: number },
  ) => SqliteConnection;
  const holder = new Database(db.target.path, { timeout: 0 });
  holder.pragma('locking_mode = EXCLUSIVE');
  holder.exec('begin exclusive; commit');
  return {
    blocked: (fast) =>
      eventually('the snapshot attempt found the database locked', () =>
        /locked|busy/i.test(fast.feed.status().lastError ?? ''),
      ),
    async release() {
      holder.close();
    },
  };
}

test(`/healthz and /v1 answer 503 until the snapshot is loaded, then serve (${testDialect()})`, async () => {
  const db = await createMigratedDatabase();
  const issuer = await TestIssuer.start();
  let fast: FastServer | undefined;
  let hold: SnapshotHold | undefined;
  try {
    await seedCatalog(db, 2);
    const [row] = (await db.orm.em
      .getConnection()
      .execute(
        `select min(id) as id from products where published = ${testDialect() === 'postgresql' ? 'true' : '1'}`,
      )) as {
      id: number;
    }[];
    hold = testDialect() === 'postgresql' ? await holdPostgres(db) : await holdSqlite(db);
    const config = loadConfig({
      DATABASE_URL: db.url,
      HOST: '127.0.0.1',
      FAST_PORT: '0',
      TOKEN_ISSUER: issuer.url,
      TOKEN_AUDIENCE: 'tandem',
      LOG_LEVEL: 'silent',
      FEED_POLL_MS: '5',
      FEED_RECONNECT_MAX_MS: '200',
    });
    fast = await startFast({ config, orm: db.orm, logger: createLogger('fast', 'silent') });
    await hold.blocked(fast);
    // Keys are in: the only thing missing is the snapshot.
    await eventually('the signing keys are loaded', () => fast!.jwks.size > 0);
    const token = await issuer.sign();

    const health = await get(`${fast.url}/healthz`);
    assert.equal(health.status, 503, 'a readiness probe keeps the node out of rotation');
    assert.equal(health.json.ready, false);
    assert.equal(health.json.status, 'starting');
    assert.equal(health.json.reason, 'loading snapshot');
    // Anyone may ask /healthz: it says the feed fails, not the driver's message (users, hosts, SQL).
    const failure = fast.feed.status().lastError;
    if (failure !== undefined) {
      assert.equal(health.json.feed.lastError, FAILING);
      assert.equal(health.text.includes(failure), false, health.text);
    }
    for (const path of [`/v1/products/${row!.id}`, '/v1/products', '/v1/categories']) {
      const res = await get(`${fast.url}${path}`, bearer(token));
      assert.equal(res.status, 503, `${path} before the snapshot: ${res.text}`);
      assert.equal(res.json.error, 'not_ready');
      assert.equal(res.headers['retry-after'], '1');
    }

    await hold.release();
    hold = undefined;
    await fast.ready;
    await eventually('healthy', async () => (await get(`${fast!.url}/healthz`)).status === 200);
    const record = await get(`${fast.url}/v1/products/${row!.id}`, bearer(token));
    assert.equal(record.status, 200);
    assert.equal(record.json.id, row!.id);
    const list = await get(`${fast.url}/v1/products`, bearer(token));
    assert.equal(list.status, 200);
    assert.equal(list.json.items.length, 2);
  } finally {
    await hold?.release();
    await fast?.close();
    await issuer.stop();
    if (testDialect() === 'postgresql') await db.close();
    else await db.drop(); // its ORM was closed to take the lock
  }
});
