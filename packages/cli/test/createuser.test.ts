import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyPassword } from '@tandem/accounts';
import { AuditEntry, Role, User } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { tandem } from './helpers.js';

let db: MigratedTestDatabase;
let env: NodeJS.ProcessEnv;
before(async () => {
  db = await createMigratedDatabase();
  env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
  const em = db.orm.em.fork();
  em.create(Role, {
    name: 'editor',
    scopes: ['catalog:read'],
    permissions: ['view_product', 'change_product'],
  });
  em.create(Role, { name: 'viewer', scopes: [], permissions: ['view_product'] });
  await em.flush();
});
after(() => db.close());

test(`createuser on ${testDialect()} creates a user with roles and flags`, async () => {
  const result = await tandem(
    ['createuser', 'Ed@Example.com', '--role', 'editor', '--role', 'viewer', '--staff'],
    { ...env, TANDEM_PASSWORD: 'editor-password' },
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '', 'no warning: the password was not on the command line');
  assert.match(result.stdout, /User ed@example\.com created \(staff; roles: editor, viewer\)/);
  const user = await db.orm.em
    .fork()
    .findOneOrFail(User, { email: 'ed@example.com' }, { populate: ['roles', 'passwordHash'] });
  assert.deepEqual(
    user.roles
      .getItems()
      .map((role) => role.name)
      .sort(),
    ['editor', 'viewer'],
  );
  assert.equal(user.isStaff, true);
  assert.equal(user.isSuperuser, false);
  assert.equal(user.isActive, true);
  assert.equal(await verifyPassword(user.passwordHash, 'editor-password'), true);
  // Audited like a user created in the admin, in the same transaction, by the command; no password.
  const [entry, ...more] = await db.orm.em
    .fork()
    .find(AuditEntry, { model: 'User', recordId: String(user.id) });
  assert.equal(more.length, 0);
  assert.equal(entry!.action, 'create');
  assert.equal(entry!.actorEmail, 'command:createuser');
  assert.deepEqual(entry!.diff, {
    email: { before: null, after: 'ed@example.com' },
    isStaff: { before: null, after: true },
    isSuperuser: { before: null, after: false },
    isActive: { before: null, after: true },
    roles: { before: null, after: ['editor', 'viewer'] },
    password: { before: null, after: '(set)' },
  });
  assert.doesNotMatch(JSON.stringify(entry), /editor-password/);
});

test('createuser --superuser implies staff; --inactive creates a disabled account', async () => {
  assert.equal(
    (await tandem(['createuser', 'su@example.com', '--password', 'super-password', '--superuser'], env)).code,
    0,
  );
  assert.equal(
    (await tandem(['createuser', 'off@example.com', '--password', 'inactive-password', '--inactive'], env))
      .code,
    0,
  );
  const em = db.orm.em.fork();
  const su = await em.findOneOrFail(User, { email: 'su@example.com' });
  assert.equal(su.isSuperuser && su.isStaff, true);
  const off = await em.findOneOrFail(User, { email: 'off@example.com' });
  assert.equal(off.isActive, false);
  assert.equal(off.isStaff, false);
});

test('createuser names an unknown role and creates nothing', async () => {
  const result = await tandem(
    ['createuser', 'x@example.com', '--password', 'some-password', '--role', 'editor', '--role', 'ghost'],
    env,
  );
  assert.equal(result.code, 1);
  assert.match(result.stderr, /unknown role "ghost" \(existing roles: editor, viewer\)/);
  assert.equal(await db.orm.em.fork().count(User, { email: 'x@example.com' }), 0);
  // One creation entry per user created, none for the refused one.
  const em = db.orm.em.fork();
  assert.equal(await em.count(AuditEntry, { model: 'User', action: 'create' }), await em.count(User));
});

test('createuser refuses a duplicate email (case-insensitive), a bad email and a weak password', async () => {
  const duplicate = await tandem(['createuser', 'ED@example.com', '--password', 'other-password'], env);
  assert.equal(duplicate.code, 1);
  assert.match(duplicate.stderr, /already exists/);

  const badEmail = await tandem(['createuser', 'nobody', '--password', 'some-password'], env);
  assert.equal(badEmail.code, 1);
  assert.match(badEmail.stderr, /valid email/);

  const short = await tandem(['createuser', 'short@example.com', '--password', 'short'], env);
  assert.equal(short.code, 1);
  assert.match(short.stderr, /at least 8 characters/);
  assert.equal(await db.orm.em.fork().count(User, { email: 'short@example.com' }), 0);
});

test('createuser usage errors exit with 2', async () => {
  for (const argv of [
    ['createuser'],
    ['createuser', 'a@example.com'],
    ['createuser', 'a@example.com', 'b@example.com', '--password', 'some-password'],
    ['createuser', 'a@example.com', '--password', 'some-password', '--admin'],
    ['createuser', 'a@example.com', '--password'],
  ]) {
    const result = await tandem(argv, env);
    assert.equal(result.code, 2, `${argv.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /Usage: tandem createuser EMAIL \[--role NAME\]\.\.\..*TANDEM_PASSWORD/);
  }
});
