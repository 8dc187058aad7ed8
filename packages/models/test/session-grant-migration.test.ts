/**
 * Migration20261201231000_session_grant_authorization_code: sessions.grant_type accepts
 * 'authorization_code'. On SQLite the table is rebuilt inside the migrator's transaction: the sessions,
 * their refresh tokens (which a DROP TABLE would delete by cascade) and the session feed's triggers must
 * all survive it, and the rebuild must not look like a change to the feed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, testDialect } from '../src/test-database.js';
import { ChangeEvent, RefreshToken, Session, User, migratorOf, openOrm, type Orm } from '../src/index.js';

const BEFORE = 'Migration20261201195200_two_factor';

async function startSession(orm: Orm, id: string, grantType: string, userId: number): Promise<void> {
  const em = orm.em.fork();
  const now = new Date();
  em.create(Session, {
    id,
    user: em.getReference(User, userId),
    grantType,
    scope: 'openid',
    createdAt: now,
    lastUsedAt: now,
    expiresAt: new Date(now.getTime() + 3_600_000),
  });
  await em.flush();
}

test(`sessions.grant_type takes authorization_code after the migration, and nothing is lost (${testDialect()})`, async () => {
  const db = await createTestDatabase();
  const orm = await openOrm(db.target);
  try {
    await migratorOf(orm).up({ to: BEFORE });
    const em = orm.em.fork();
    const user = em.create(User, { email: 'kept@example.com', passwordHash: 'x'.repeat(60) });
    await em.flush();
    await startSession(orm, '11111111-1111-4111-8111-111111111111', 'password', user.id);
    await assert.rejects(
      startSession(orm, '22222222-2222-4222-8222-222222222222', 'authorization_code', user.id),
      /check|constraint/i,
      'refused before the migration',
    );
    const fork = orm.em.fork();
    fork.create(RefreshToken, {
      session: fork.getReference(Session, '11111111-1111-4111-8111-111111111111'),
      tokenHash: 'a'.repeat(64),
      createdAt: new Date(),
      usedAt: null,
    });
    await fork.flush();
    const eventsBefore = await orm.em.fork().count(ChangeEvent, { tableName: 'sessions' });

    await migratorOf(orm).up();

    const after = orm.em.fork();
    assert.equal(await after.count(Session, {}), 1, 'the session is still there');
    assert.equal(
      await after.count(RefreshToken, { session: '11111111-1111-4111-8111-111111111111' }),
      1,
      'its refresh token too (a SQLite DROP TABLE would have deleted it by cascade)',
    );
    assert.equal(
      await after.count(ChangeEvent, { tableName: 'sessions' }),
      eventsBefore,
      'the rebuild wrote nothing to the change feed',
    );
    await startSession(orm, '33333333-3333-4333-8333-333333333333', 'authorization_code', user.id);
    await assert.rejects(
      startSession(orm, '44444444-4444-4444-8444-444444444444', 'implicit', user.id),
      /check|constraint/i,
      'other grant types are still refused',
    );
    // The session feed's triggers were put back: a revocation is captured.
    await after.nativeUpdate(
      Session,
      { id: '33333333-3333-4333-8333-333333333333' },
      { revokedAt: new Date() },
    );
    assert.equal(
      await after.count(ChangeEvent, {
        tableName: 'sessions',
        recordId: '33333333-3333-4333-8333-333333333333',
      }),
      1,
      'its revocation captured (its start is not, since Migration20261203170000_session_start_not_captured)',
    );
    // Deleting the user still deletes its sessions and their refresh tokens (foreign keys intact).
    await after.nativeDelete(User, { id: user.id });
    assert.equal(await after.count(Session, {}), 0);
    assert.equal(await after.count(RefreshToken, {}), 0);
  } finally {
    await orm.close(true);
    await db.drop();
  }
});
