/**
 * A command line is readable by every local user (ps, /proc/<pid>/cmdline): createuser and seed take
 * the password from TANDEM_PASSWORD, as createsuperuser --no-input takes TANDEM_SUPERUSER_PASSWORD.
 * `--password` still works, for the scripts that use it, and says on stderr what it exposes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyPassword } from '@tandem/accounts';
import { User } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { tandem } from './helpers.js';

const WARNING =
  /warning: --password is visible to other users of this machine \(ps, \/proc\); set TANDEM_PASSWORD instead/;

let db: MigratedTestDatabase;
let env: NodeJS.ProcessEnv;
before(async () => {
  db = await createMigratedDatabase();
  env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
});
after(() => db.close());

async function passwordHashOf(email: string): Promise<string> {
  const user = await db.orm.em.fork().findOneOrFail(User, { email }, { populate: ['passwordHash'] });
  return user.passwordHash;
}

test(`createuser on ${testDialect()} takes the password from TANDEM_PASSWORD, and asks for it without one`, async () => {
  const password = 'Env-Password-Secret-77';
  const created = await tandem(['createuser', 'env@example.com'], { ...env, TANDEM_PASSWORD: password });
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stderr, '');
  assert.equal(await verifyPassword(await passwordHashOf('env@example.com'), password), true);

  for (const unset of [env, { ...env, TANDEM_PASSWORD: '' }]) {
    const refused = await tandem(['createuser', 'none@example.com'], unset);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /createuser: set TANDEM_PASSWORD to the password/);
  }
  const weak = await tandem(['createuser', 'weak@example.com'], { ...env, TANDEM_PASSWORD: 'short' });
  assert.equal(weak.code, 1);
  assert.match(weak.stderr, /at least 8 characters/);
  assert.equal(
    await db.orm.em.fork().count(User, { email: { $in: ['none@example.com', 'weak@example.com'] } }),
    0,
  );
});

test('createuser --password still works, with a warning on stderr', async () => {
  const result = await tandem(['createuser', 'argv@example.com', '--password', 'Argv-Password-88'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^tandem createuser: /);
  assert.match(result.stderr, WARNING);
  assert.equal(await verifyPassword(await passwordHashOf('argv@example.com'), 'Argv-Password-88'), true);
});

test(`seed --users on ${testDialect()} takes the shared password from TANDEM_PASSWORD; --password warns`, async () => {
  const password = 'Seed-Env-Password-99';
  const seeded = await tandem(['seed', '--users', '2'], { ...env, TANDEM_PASSWORD: password });
  assert.equal(seeded.code, 0, seeded.stderr);
  assert.match(seeded.stdout, /password as given/, 'the password is not echoed');
  assert.doesNotMatch(seeded.stderr, /warning/);
  assert.equal(await verifyPassword(await passwordHashOf('seed-user-000002@example.com'), password), true);

  const refused = await tandem(['seed', '--users', '1'], { ...env, TANDEM_PASSWORD: '1234567890' });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /TANDEM_PASSWORD: Password cannot be entirely numeric/);

  const argv = await tandem(['seed', '--users', '1', '--password', 'Seed-Argv-Password-11'], env);
  assert.equal(argv.code, 0, argv.stderr);
  assert.match(argv.stderr, WARNING);
  assert.equal(
    await verifyPassword(await passwordHashOf('seed-user-000003@example.com'), 'Seed-Argv-Password-11'),
    true,
  );
});
