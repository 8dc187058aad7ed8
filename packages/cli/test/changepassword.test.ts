import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from '@tandem/accounts';
import { AuditEntry, User } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { tandem } from './helpers.js';

let db: MigratedTestDatabase;
let env: NodeJS.ProcessEnv;
before(async () => {
  db = await createMigratedDatabase();
  env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
  const em = db.orm.em.fork();
  em.create(User, { email: 'ann@example.com', passwordHash: await hashPassword('old-password') });
  await em.flush();
});
after(() => db.close());

async function passwordIs(password: string): Promise<boolean> {
  const user = await db.orm.em
    .fork()
    .findOneOrFail(User, { email: 'ann@example.com' }, { populate: ['passwordHash'] });
  return verifyPassword(user.passwordHash, password);
}

test(`changepassword on ${testDialect()} sets the password typed twice`, async () => {
  const result = await tandem(['changepassword', 'Ann@Example.com'], env, [
    'new-password-1',
    'new-password-1',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Password changed successfully for user ann@example\.com/);
  assert.equal(await passwordIs('new-password-1'), true);
  assert.equal(await passwordIs('old-password'), false);
  const history = await db.orm.em.fork().find(AuditEntry, { model: 'User', action: 'change_password' });
  assert.deepEqual(
    history.map((entry) => [entry.actorEmail, entry.diff]),
    [['command:changepassword', { password: { before: '(hidden)', after: '(changed)' } }]],
    'the change is in the user’s history, naming the command, never the password',
  );
});

test('changepassword keeps the old password when the two entries differ or the new one is weak', async () => {
  const mismatch = await tandem(['changepassword', 'ann@example.com'], env, [
    'new-password-2',
    'new-password-3',
  ]);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /do not match/);
  const weak = await tandem(['changepassword', 'ann@example.com'], env, ['1234567890', '1234567890']);
  assert.equal(weak.code, 1);
  assert.match(weak.stderr, /numeric/);
  assert.equal(await passwordIs('new-password-1'), true);
});

test('changepassword: unknown user is an error, a missing EMAIL a usage error', async () => {
  const unknown = await tandem(['changepassword', 'ghost@example.com'], env, ['whatever-1', 'whatever-1']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no user with email ghost@example\.com/);
  const missing = await tandem(['changepassword'], env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Usage: tandem changepassword EMAIL/);
});
