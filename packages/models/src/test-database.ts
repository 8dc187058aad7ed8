/**
 * Test support, like django.test: imported as `@tandem/models/testing` by every package's tests.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseDatabaseUrl, type DatabaseTarget } from '@tandem/config';
import { migrate, openOrm, type Orm } from './orm.js';
import { testDialect } from './test-dialects.js';

export interface TestDatabase {
  readonly target: DatabaseTarget;
  /** The DATABASE_URL value a child process (a service under test) should receive. */
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test file: a new database on the PostgreSQL server named by
 * DATABASE_URL, or a new SQLite file. Tests never share state, so they can run in any order.
 */
export async function createTestDatabase(
  serverUrl: string | undefined = process.env.DATABASE_URL,
): Promise<TestDatabase> {
  if (testDialect(serverUrl) === 'postgresql' && serverUrl) {
    const name = `tandem_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(`create database "${name}"`);
    } finally {
      await admin.end();
    }
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      target: parseDatabaseUrl(url.toString()),
      url: url.toString(),
      async drop() {
        const client = new pg.Client({ connectionString: serverUrl });
        await client.connect();
        try {
          await client.query(`drop database if exists "${name}" with (force)`);
        } finally {
          await client.end();
        }
      },
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-test-'));
  const url = `sqlite:${path.join(dir, 'tandem.sqlite3')}`;
  return {
    target: parseDatabaseUrl(url),
    url,
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface MigratedTestDatabase extends TestDatabase {
  readonly orm: Orm;
  /** Closes the ORM and drops the database. */
  close(): Promise<void>;
}

export async function createMigratedDatabase(serverUrl?: string): Promise<MigratedTestDatabase> {
  const database = await createTestDatabase(serverUrl ?? process.env.DATABASE_URL);
  const orm = await openOrm(database.target);
  await migrate(orm);
  return {
    ...database,
    orm,
    async close() {
      await orm.close(true);
      await database.drop();
    },
  };
}

export { eventually, freePort } from './test-waiting.js';
export { sqlitePassOnly, testDialect } from './test-dialects.js';
export {
  redisServerInstalled,
  startPrivateRedis,
  type PrivateRedis,
  type PrivateRedisOptions,
} from './test-redis-server.js';
