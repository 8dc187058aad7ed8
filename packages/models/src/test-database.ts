/**
 * Test support, like django.test: imported as `@tandem/models/testing` by every package's tests.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseDatabaseUrl, type DatabaseTarget } from '@tandem/config';
import { openOrm, type Orm } from './orm.js';
import { testDialect } from './test-dialects.js';
import { postgresTemplate, sqliteTemplate } from './test-templates.js';

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
  return newDatabase(serverUrl, false);
}

/** A new database, empty or (`migrated`) a copy of the migrated template (src/test-templates.ts). */
async function newDatabase(serverUrl: string | undefined, migrated: boolean): Promise<TestDatabase> {
  if (testDialect(serverUrl) === 'postgresql' && serverUrl) {
    const name = `tandem_test_${randomBytes(6).toString('hex')}`;
    const template = migrated ? ` template "${await postgresTemplate(serverUrl)}"` : '';
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(`create database "${name}"${template}`);
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
  const file = path.join(dir, 'tandem.sqlite3');
  if (migrated) copyFileSync(await sqliteTemplate(), file);
  const url = `sqlite:${file}`;
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

/**
 * A fresh database with every migration applied, for one test file: a copy of a template migrated
 * once per migration state (src/test-templates.ts says why), the same schema and rows as migrating
 * this database would give.
 */
export async function createMigratedDatabase(serverUrl?: string): Promise<MigratedTestDatabase> {
  const database = await newDatabase(serverUrl ?? process.env.DATABASE_URL, true);
  const orm = await openOrm(database.target);
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
export { openTransaction } from './test-open-transaction.js';
export { rowIsFree, whileAnotherWriterHolds } from './test-held-rows.js';
export { sqlitePassOnly, testDialect } from './test-dialects.js';
export { THROTTLE_OUT_OF_THE_WAY } from './test-throttle.js';
export {
  redisServerInstalled,
  startPrivateRedis,
  type PrivateRedis,
  type PrivateRedisOptions,
} from './test-redis-server.js';
