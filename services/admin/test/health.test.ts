/**
 * GET /healthz, which the container HEALTHCHECK and the Kubernetes probes read: 200 while the admin's
 * database answers, 503 once it does not (an admin without its database is of no use, and must leave
 * the rotation). Real admin and database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { openOrm } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { startAdmin } from '../src/server.js';

let db: MigratedTestDatabase;
before(async () => {
  db = await createMigratedDatabase();
});
after(() => db.close());

test(`/healthz says whether the database answers (${testDialect()})`, async () => {
  // Its own connection, which the test then loses.
  const orm = await openOrm(db.target);
  const admin = await startAdmin({
    config: loadConfig({
      DATABASE_URL: db.url,
      TANDEM_SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
    }),
    orm,
    logger: createLogger('admin-test', 'silent'),
    port: 0,
  });
  try {
    const healthz = `${new URL(admin.url).origin}/healthz`;
    const up = await fetch(healthz);
    assert.equal(up.status, 200);
    assert.deepEqual(await up.json(), { status: 'ok', checks: { database: true } });
    await orm.close(true);
    const down = await fetch(healthz);
    assert.equal(down.status, 503);
    assert.equal(down.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await down.json(), { status: 'unavailable', checks: { database: false } });
  } finally {
    await admin.close();
  }
});
