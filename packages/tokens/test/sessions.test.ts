import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { Role, Session, User } from '@tandem/models';
import {
  liveBindings,
  liveSessionSql,
  liveWindow,
  revokeSession,
  revokeSessionsBeyondRoleScopes,
  revokeUserSessions,
  startUserSession,
} from '../src/index.js';

const SETTINGS = { sessionAbsoluteTtlSeconds: 3600 };

/** The sessions module against a real database: the one live condition, conditional revocations. */
describe(`sessions module (${testDialect()})`, () => {
  let db: MigratedTestDatabase;
  let userId = 0;
  before(async () => {
    db = await createMigratedDatabase();
    const em = db.orm.em.fork();
    const role = em.create(Role, { name: 'reader', scopes: ['catalog:read'], permissions: [] });
    const user = em.create(User, { email: 'sam@example.com', passwordHash: 'x'.repeat(60) });
    user.roles.add(role);
    await em.flush();
    userId = user.id;
  });
  after(() => db.close());

  const reason = async (sid: string) =>
    (await db.orm.em.fork().findOneOrFail(Session, { id: sid })).revokedReason ?? null;

  test('liveSessionSql: live, then not live once revoked, idle past the cut-off or past its end', async () => {
    const { sid } = await startUserSession(db.orm.em.fork(), userId, ['catalog:read'], SETTINGS, new Date());
    const at = (date: Date) => (testDialect() === 'sqlite' ? date.getTime() : date);
    const isLive = async (window = liveWindow(60)) => {
      const rows = (await db.orm.em
        .getKnex()
        .raw(`select count(*) as n from sessions s where s.id = ? and ${liveSessionSql('s')}`, [
          sid,
          ...liveBindings(window, at),
        ])) as unknown;
      const list = Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows;
      return Number((list[0] as { n: unknown }).n) === 1;
    };
    assert.equal(await isLive(), true);
    assert.equal(await isLive(liveWindow(60, new Date(Date.now() + 120_000))), false, 'idle too long');
    assert.equal(await isLive(liveWindow(1e6, new Date(Date.now() + 3_700_000))), false, 'past its end');
    assert.equal(await revokeSession(db.orm.em.fork(), sid, 'revoked'), true);
    assert.equal(await isLive(), false, 'revoked');
  });

  test('a revocation keeps the first reason; revoking again changes nothing', async () => {
    const { sid } = await startUserSession(db.orm.em.fork(), userId, ['catalog:read'], SETTINGS, new Date());
    assert.equal(await revokeUserSessions(db.orm.em.fork(), userId, 'user_inactive'), 1);
    assert.equal(await revokeSession(db.orm.em.fork(), sid, 'staff'), false);
    assert.equal(await reason(sid), 'user_inactive');
  });

  test('revokeSessionsBeyondRoleScopes ends only the sessions holding a scope the roles no longer grant', async () => {
    const em = db.orm.em.fork();
    const within = (await startUserSession(em.fork(), userId, ['catalog:read'], SETTINGS, new Date())).sid;
    const beyond = (
      await startUserSession(em.fork(), userId, ['catalog:read', 'orders:read'], SETTINGS, new Date())
    ).sid;
    assert.equal(await revokeSessionsBeyondRoleScopes(em, [userId], 'role_changed'), 1);
    assert.equal(await reason(within), null);
    assert.equal(await reason(beyond), 'role_changed');
    const role = await em.findOneOrFail(Role, { name: 'reader' });
    assert.equal(
      await revokeSessionsBeyondRoleScopes(em, [userId], 'role_changed', { ignoringRole: role.id }),
      1,
      'without its only role the user may hold nothing',
    );
    assert.equal(await reason(within), 'role_changed');
  });
});
