import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createMigratedDatabase,
  eventually,
  testDialect,
  type MigratedTestDatabase,
} from '@tandem/models/testing';
import { AllowedOrigins } from '../src/index.js';

const skip = testDialect() !== 'postgresql' && "PostgreSQL only: a read is held by another session's lock";

/**
 * The origins are read again every few seconds in the background. While the database holds a read
 * (a lock, a slow server), the next ticks start no read of their own: overlapping reads could finish
 * out of order (an older list put back over a newer one) and would pile up on the stuck database.
 */
describe('AllowedOrigins.keepFresh', { skip }, () => {
  let db: MigratedTestDatabase;
  before(async () => {
    db = await createMigratedDatabase();
  });
  after(() => db?.close());

  test('starts no read while the last one still waits, and reads again once it is answered', async () => {
    // Another session's lock, on a connection of its own from the pool.
    const locker = await db.orm.em.getKnex().transaction();
    const origins = new AllowedOrigins(db.orm, ['https://fixed.example']);
    try {
      await locker.raw('lock table clients in access exclusive mode');
      const errors: unknown[] = [];
      const first = origins.keepFresh((error) => errors.push(error), 10);
      // Fifty ticks while the first read waits on the lock.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const waiting = await locker.raw<{ rows: { n: string }[] }>(
        `select count(*) as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`,
      );
      assert.equal(Number(waiting.rows[0]!.n), 1, 'one read waits; the ticks since started none');
      await locker.commit();
      await first;
      assert.deepEqual(errors, []);
      assert.ok(origins.has('https://fixed.example'));
      // Reads go on once the database answers.
      await db.orm.em
        .fork()
        .getConnection()
        .execute(
          `insert into clients (name, client_id, secret_hash, scopes, is_active, redirect_uris, allowed_origins, grant_types, is_public, is_first_party, created_at)
         values ('Web', 'tc_origins_web', '${'0'.repeat(64)}', '[]', true, '[]', '["https://web.example"]', '["authorization_code"]', true, false, now())`,
        );
      await eventually('the new origin is read', () => origins.has('https://web.example'));
    } finally {
      origins.stop();
      if (!locker.isCompleted()) await locker.rollback();
    }
  });
});
