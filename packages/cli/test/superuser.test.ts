import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyPassword } from '@tandem/accounts';
import { loadConfig } from '@tandem/config';
import { User } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { CommandError } from '../src/command.js';
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

test('without the variables and without any superuser, admin@localhost gets a random password once', async () => {
  const em = db.orm.em.fork();
  await em.nativeUpdate(User, {}, { isSuperuser: false });
  const outcome = await ensureSuperuser(db.orm, configWith({}));
  assert.equal(outcome.kind, 'created with one-time password');
  assert.ok(outcome.kind === 'created with one-time password' && outcome.password.length >= 20);
  const admin = await db.orm.em
    .fork()
    .findOneOrFail(User, { email: 'admin@localhost' }, { populate: ['passwordHash'] });
  assert.equal(admin.isSuperuser && admin.isStaff && admin.isActive, true);
  assert.equal(await verifyPassword(admin.passwordHash, outcome.password), true);
  assert.deepEqual(await ensureSuperuser(db.orm, configWith({})), { kind: 'a superuser exists' });
});
