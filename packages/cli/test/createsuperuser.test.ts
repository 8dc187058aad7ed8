import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyPassword } from '@tandem/accounts';
import { AuditEntry, User } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { tandem } from './helpers.js';

let db: MigratedTestDatabase;
let env: NodeJS.ProcessEnv;
before(async () => {
  db = await createMigratedDatabase();
  env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
});
after(() => db.close());

async function findUser(email: string) {
  return db.orm.em.fork().findOne(User, { email }, { populate: ['passwordHash'] });
}

test(`createsuperuser --no-input on ${testDialect()} creates an active staff superuser from the environment`, async () => {
  const result = await tandem(['createsuperuser', '--no-input'], {
    ...env,
    TANDEM_SUPERUSER_EMAIL: 'Boss@Example.com',
    TANDEM_SUPERUSER_PASSWORD: 'correct-horse-battery',
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Superuser boss@example\.com created/);
  const user = await findUser('boss@example.com');
  assert.ok(user);
  assert.equal(user.isSuperuser, true);
  assert.equal(user.isStaff, true);
  assert.equal(user.isActive, true);
  assert.equal(await verifyPassword(user.passwordHash, 'correct-horse-battery'), true);
  const entries = await db.orm.em.fork().find(AuditEntry, { model: 'User', recordId: String(user.id) });
  assert.deepEqual(
    entries.map((entry) => [entry.action, entry.actorEmail, entry.diff.isSuperuser?.after]),
    [['create', 'command:createsuperuser', true]],
  );
});

test('createsuperuser --no-input names each missing variable', async () => {
  const noPassword = await tandem(['createsuperuser', '--no-input'], {
    ...env,
    TANDEM_SUPERUSER_EMAIL: 'x@example.com',
  });
  assert.equal(noPassword.code, 1);
  assert.match(noPassword.stderr, /TANDEM_SUPERUSER_PASSWORD/);
  assert.doesNotMatch(noPassword.stderr, /TANDEM_SUPERUSER_EMAIL/);
  assert.doesNotMatch(noPassword.stderr, /\n\s+at /, 'no stack trace');

  const neither = await tandem(['createsuperuser', '--no-input'], env);
  assert.equal(neither.code, 1);
  assert.match(neither.stderr, /TANDEM_SUPERUSER_EMAIL and TANDEM_SUPERUSER_PASSWORD/);
  assert.equal(await findUser('x@example.com'), null);
});

test('createsuperuser refuses an email that exists, in any case', async () => {
  const result = await tandem(['createsuperuser', '--no-input'], {
    ...env,
    TANDEM_SUPERUSER_EMAIL: 'BOSS@example.com',
    TANDEM_SUPERUSER_PASSWORD: 'another-password',
  });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /already exists/);
  assert.equal(await db.orm.em.fork().count(User, { email: 'boss@example.com' }), 1);
});

test('createsuperuser --no-input rejects a weak password and a bad email', async () => {
  const weak = await tandem(['createsuperuser', '--no-input'], {
    ...env,
    TANDEM_SUPERUSER_EMAIL: 'weak@example.com',
    TANDEM_SUPERUSER_PASSWORD: '12345678',
  });
  assert.equal(weak.code, 1);
  assert.match(weak.stderr, /numeric/);
  const badEmail = await tandem(['createsuperuser', '--no-input'], {
    ...env,
    TANDEM_SUPERUSER_EMAIL: 'not-an-email',
    TANDEM_SUPERUSER_PASSWORD: 'correct-horse-battery',
  });
  assert.equal(badEmail.code, 1);
  assert.match(badEmail.stderr, /valid email/);
});

test('interactive createsuperuser reads email and the password twice from piped stdin', async () => {
  const result = await tandem(['createsuperuser'], env, [
    'piped@example.com',
    'piped-password-1',
    'piped-password-1',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /Email address: /);
  assert.match(result.stderr, /Password \(again\): /);
  assert.doesNotMatch(result.stdout + result.stderr, /piped-password-1/, 'the password is never echoed');
  const user = await findUser('piped@example.com');
  assert.equal(user?.isSuperuser, true);
  assert.equal(await verifyPassword(user.passwordHash, 'piped-password-1'), true);
});

test('interactive createsuperuser: mismatched passwords, bad email and early end of input fail with exit 1', async () => {
  const mismatch = await tandem(['createsuperuser'], env, [
    'm@example.com',
    'first-password',
    'second-password',
  ]);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /didn't match/);
  assert.equal(await findUser('m@example.com'), null);

  const taken = await tandem(['createsuperuser'], env, [
    'piped@example.com',
    'whatever-pass',
    'whatever-pass',
  ]);
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /already exists/);

  const ended = await tandem(['createsuperuser'], env, ['short@example.com']);
  assert.equal(ended.code, 1);
  assert.match(ended.stderr, /input ended/);
});

test('createsuperuser rejects unknown options as a usage error', async () => {
  const result = await tandem(['createsuperuser', '--bogus'], env);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /Usage: tandem createsuperuser/);
});
