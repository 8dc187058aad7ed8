/**
 * Issue 10 item 6: `tandem changepassword` is what an operator runs when an account's password may have
 * leaked. The sessions opened with the old password must end with the change (same transaction), or
 * whoever holds a refresh or access token keeps reading. A weak new password changes nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '@tandem/accounts';
import { Session, User } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { startUserSession } from '@tandem/tokens';
import { tandem } from './helpers.js';

let db: MigratedTestDatabase;
let env: NodeJS.ProcessEnv;
const sids: string[] = [];
let otherSid = '';

before(async () => {
  db = await createMigratedDatabase();
  env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
  const em = db.orm.em.fork();
  const bea = em.create(User, { email: 'bea@example.com', passwordHash: await hashPassword('old-password') });
  const carl = em.create(User, {
    email: 'carl@example.com',
    passwordHash: await hashPassword('old-password'),
  });
  await em.flush();
  const settings = { sessionAbsoluteTtlSeconds: 3600 };
  for (let i = 0; i < 2; i++)
    sids.push((await startUserSession(em.fork(), bea.id, ['catalog:read'], settings, new Date())).sid);
  otherSid = (await startUserSession(em.fork(), carl.id, ['catalog:read'], settings, new Date())).sid;
});
after(() => db.close());

const reasons = async (ids: string[]) => {
  const rows = await db.orm.em.fork().find(Session, { id: { $in: ids } }, { orderBy: { id: 'asc' } });
  return new Map(rows.map((row) => [row.id, row.revokedReason ?? null]));
};

test('a refused (weak) new password leaves the sessions live', async () => {
  const weak = await tandem(['changepassword', 'bea@example.com'], env, ['1234567890', '1234567890']);
  assert.equal(weak.code, 1);
  assert.deepEqual([...(await reasons(sids)).values()], [null, null]);
});

test(`changepassword on ${testDialect()} revokes every session of that user, and only theirs`, async () => {
  const result = await tandem(['changepassword', 'bea@example.com'], env, [
    'new-password-9',
    'new-password-9',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Ended 2 session\(s\) of bea@example\.com/);
  assert.deepEqual([...(await reasons(sids)).values()], ['password_changed', 'password_changed']);
  assert.deepEqual([...(await reasons([otherSid])).values()], [null]);
});
