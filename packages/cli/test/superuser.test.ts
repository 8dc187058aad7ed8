import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyPassword } from '@tandem/accounts';
import { loadConfig } from '@tandem/config';
import { User } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { CommandError } from '../src/command.js';
import { describeSuperuser } from '../src/commands/start.js';
import { ensureSuperuser } from '../src/start/superuser.js';

let db: MigratedTestDatabase;
before(async () => {
  db = await createMigratedDatabase();
});
after(() => db.close());

const configWith = (extra: NodeJS.ProcessEnv) => loadConfig({ DATABASE_URL: db.url, ...extra });

test(`start's superuser step on ${testDialect()}: TANDEM_SUPERUSER_* creates that user once, never overwriting it`, async () => {
  const env = { TANDEM_SUPERUSER_EMAIL: 'Root@Example.com', TANDEM_SUPERUSER_PASSWORD: 'first-password' };
  assert.deepEqual(await ensureSuperuser(db.orm, configWith(env)), {
    kind: 'created from environment',
    email: 'root@example.com',
  });
  const again = await ensureSuperuser(
    db.orm,
    configWith({ ...env, TANDEM_SUPERUSER_PASSWORD: 'changed-password' }),
  );
  assert.deepEqual(again, { kind: 'exists', email: 'root@example.com', superuser: true });
  const user = await db.orm.em
    .fork()
    .findOneOrFail(User, { email: 'root@example.com' }, { populate: ['passwordHash'] });
  assert.equal(
    await verifyPassword(user.passwordHash, 'first-password'),
    true,
    'the existing password is kept',
  );
  assert.equal(
    await db.orm.em.fork().count(User, { email: 'admin@localhost' }),
    0,
    'no default admin when the variables are set',
  );
});

test('only one of the two variables set is an error naming the other', async () => {
  await assert.rejects(
    ensureSuperuser(db.orm, configWith({ TANDEM_SUPERUSER_EMAIL: 'x@example.com' })),
    (error: Error) => {
      assert.ok(error instanceof CommandError);
      assert.match(error.message, /TANDEM_SUPERUSER_PASSWORD is not/);
      return true;
    },
  );
  await assert.rejects(
    ensureSuperuser(db.orm, configWith({ TANDEM_SUPERUSER_PASSWORD: 'some-password' })),
    /TANDEM_SUPERUSER_EMAIL is not/,
  );
  await assert.rejects(
    ensureSuperuser(
      db.orm,
      configWith({ TANDEM_SUPERUSER_EMAIL: 'y@example.com', TANDEM_SUPERUSER_PASSWORD: 'short' }),
    ),
    /TANDEM_SUPERUSER_EMAIL\/TANDEM_SUPERUSER_PASSWORD: Password must be at least 8/,
  );
});

test('without the variables, a superuser that exists is enough: no admin@localhost', async () => {
  assert.deepEqual(await ensureSuperuser(db.orm, configWith({})), { kind: 'a superuser exists' });
  assert.equal(await db.orm.em.fork().count(User, { email: 'admin@localhost' }), 0);
});

test('without the variables, users but no superuser (all demoted on purpose): nothing is created', async () => {
  const em = db.orm.em.fork();
  await em.nativeUpdate(User, {}, { isSuperuser: false });
  const users = await em.count(User, {});
  assert.ok(users > 0);
  assert.deepEqual(await ensureSuperuser(db.orm, configWith({})), { kind: 'no superuser' });
  assert.deepEqual(await ensureSuperuser(db.orm, configWith({})), { kind: 'no superuser' });
  assert.match(
    describeSuperuser({ kind: 'no superuser' }),
    /^Note: no user is a superuser; none was created .* `npx tandem createsuperuser`\.\n$/,
  );
  assert.equal(await db.orm.em.fork().count(User, {}), users, 'no user created');
  assert.equal(await db.orm.em.fork().count(User, { isSuperuser: true }), 0, 'nobody promoted');
});

test('without the variables, a new database (no users) gets admin@localhost with a random password once', async () => {
  const fresh = await createMigratedDatabase();
  try {
    const config = loadConfig({ DATABASE_URL: fresh.url });
    const outcome = await ensureSuperuser(fresh.orm, config);
    assert.equal(outcome.kind, 'created with one-time password');
    assert.ok(outcome.kind === 'created with one-time password' && outcome.password.length >= 20);
    const admin = await fresh.orm.em
      .fork()
      .findOneOrFail(User, { email: 'admin@localhost' }, { populate: ['passwordHash'] });
    assert.equal(admin.isSuperuser && admin.isStaff && admin.isActive, true);
    assert.equal(await verifyPassword(admin.passwordHash, outcome.password), true);
    assert.deepEqual(await ensureSuperuser(fresh.orm, config), { kind: 'a superuser exists' });
  } finally {
    await fresh.close();
  }
});

test('two first starts at once create one superuser, and the second start does not fail', async () => {
  const fresh = await createMigratedDatabase();
  try {
    const config = loadConfig({ DATABASE_URL: fresh.url });
    // Both count no users before either inserts (password hashing is asynchronous): the unique email decides.
    const outcomes = await Promise.all([
      ensureSuperuser(fresh.orm, config),
      ensureSuperuser(fresh.orm, config),
    ]);
    assert.deepEqual(outcomes.map((outcome) => outcome.kind).sort(), [
      'a superuser exists',
      'created with one-time password',
    ]);
    assert.equal(await fresh.orm.em.fork().count(User, {}), 1);
  } finally {
    await fresh.close();
  }
});
