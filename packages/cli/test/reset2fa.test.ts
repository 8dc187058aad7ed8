import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditEntry, User } from '@tandem/models';
import { createMigratedDatabase, type MigratedTestDatabase } from '@tandem/models/testing';
import { TwoFactor, totpCodeAt } from '@tandem/two-factor';
import { tandem } from './helpers.js';

const SECRET_KEY = 'reset2fa-test-secret-key-0123456789abcdef';
let db: MigratedTestDatabase;
let env: NodeJS.ProcessEnv;
let twoFactor: TwoFactor;
let ann: { id: number; email: string };

before(async () => {
  db = await createMigratedDatabase();
  env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent', TANDEM_SECRET_KEY: SECRET_KEY };
  const em = db.orm.em.fork();
  const user = em.create(User, { email: 'ann@example.com', passwordHash: 'x', isStaff: true });
  await em.flush();
  ann = { id: user.id, email: user.email };
  twoFactor = new TwoFactor({
    em: db.orm.em,
    secretKey: SECRET_KEY,
    issuer: 'Tandem',
    throttle: { attempts: 5, windowSeconds: 60 },
  });
  const enrolment = await twoFactor.beginEnrolment(ann, 'attempt:test');
  assert.ok(enrolment);
  assert.ok(
    (await twoFactor.confirmEnrolment(ann, 'attempt:test', totpCodeAt(enrolment.secret), '127.0.0.1')).ok,
  );
});
after(async () => {
  await twoFactor.close();
  await db.close();
});

test('reset2fa removes a locked-out user’s authenticator and recovery codes', async () => {
  assert.equal((await twoFactor.status(ann.id)).enrolled, true);
  const result = await tandem(['reset2fa', 'Ann@Example.com'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Two-factor sign-in reset for ann@example\.com/);
  assert.deepEqual(await twoFactor.status(ann.id), { enrolled: false, recoveryCodesLeft: 0 });
  assert.equal(
    await db.orm.em
      .fork()
      .getKnex()('recovery_codes')
      .count({ n: '*' })
      .first()
      .then((row) => Number(row?.n)),
    0,
  );
  const again = await tandem(['reset2fa', 'ann@example.com'], env);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /has no two-factor sign-in; nothing changed/);
  // The reset is in ann's history, naming the command; the second run changed nothing and says nothing.
  const history = await db.orm.em.fork().find(AuditEntry, { model: 'User', recordId: String(ann.id) });
  assert.deepEqual(
    history.map((entry) => [entry.action, entry.actorEmail]),
    [
      ['enable_two_factor', 'ann@example.com'],
      ['reset_two_factor', 'command:reset2fa'],
    ],
  );
});

test('reset2fa: an unknown user is an error, a missing EMAIL a usage error', async () => {
  const unknown = await tandem(['reset2fa', 'ghost@example.com'], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no user with email ghost@example\.com/);
  const missing = await tandem(['reset2fa'], env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Usage: tandem reset2fa EMAIL/);
});
