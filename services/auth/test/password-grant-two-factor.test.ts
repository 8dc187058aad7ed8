/**
 * The password grant and two-factor sign-in: an account whose sign-in needs a second factor (an
 * authenticator, or staff under TWO_FACTOR_REQUIRED_FOR_STAFF) must not get tokens from a password
 * alone, sequentially or in parallel; nobody else loses the grant.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Session, User } from '@tandem/models';
import { TwoFactor, totpCodeAt } from '@tandem/two-factor';
import { SECRET_KEY, createRole, createUser, postForm, startTestAuth, type TestAuth } from './support.js';

const PASSWORD = 'correct horse battery staple';

describe('the password grant refuses accounts that sign in with a second factor', () => {
  let auth: TestAuth;
  let twoFactor: TwoFactor;
  const grant = (username: string, password = PASSWORD) =>
    postForm(`${auth.url}/oauth/token`, { grant_type: 'password', username, password });
  const sessionsOf = async (email: string) => {
    const em = auth.db.orm.em.fork();
    return em.count(Session, { user: await em.findOneOrFail(User, { email }) });
  };

  before(async () => {
    auth = await startTestAuth({ TWO_FACTOR_REQUIRED_FOR_STAFF: 'true', LOGIN_THROTTLE_ATTEMPTS: '50' });
    await createRole(auth, 'reader', ['catalog:read']);
    for (const email of ['enrolled@example.com', 'staff@example.com', 'plain@example.com'])
      await createUser(auth, email, PASSWORD, ['reader']);
    const em = auth.db.orm.em.fork();
    const staff = await em.findOneOrFail(User, { email: 'staff@example.com' });
    staff.isStaff = true;
    await em.flush();
    twoFactor = new TwoFactor({
      em: auth.db.orm.em,
      secretKey: SECRET_KEY,
      issuer: 'Tandem',
      throttle: { attempts: 50, windowSeconds: 60 },
    });
    const enrolled = await em.findOneOrFail(User, { email: 'enrolled@example.com' });
    const enrolment = await twoFactor.beginEnrolment(enrolled, 'attempt:test');
    assert.ok(enrolment);
    assert.ok(
      (await twoFactor.confirmEnrolment(enrolled, 'attempt:test', totpCodeAt(enrolment.secret), '127.0.0.2'))
        .ok,
    );
  });
  after(async () => {
    await twoFactor.close();
    await auth.close();
  });

  it('a user with an authenticator gets invalid_grant naming the authorization page, and no session', async () => {
    const res = await grant('enrolled@example.com');
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error, 'invalid_grant');
    assert.match(String(res.body.error_description), /second factor.*\/oauth\/authorize/);
    assert.equal(res.body.access_token, undefined);
    assert.equal(await sessionsOf('enrolled@example.com'), 0);
  });

  it('staff who must enrol are refused too; a wrong password still says only that', async () => {
    const res = await grant('staff@example.com');
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error, 'invalid_grant');
    assert.match(String(res.body.error_description), /second factor/);
    assert.equal(await sessionsOf('staff@example.com'), 0);
    const wrong = await grant('enrolled@example.com', 'not the password');
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error_description, 'Invalid username or password.');
  });

  it('twenty parallel requests with the right password get no token between them', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => grant('enrolled@example.com')));
    assert.deepEqual(
      new Set(answers.map((a) => `${a.status} ${String(a.body.error)}`)),
      new Set(['400 invalid_grant']),
    );
    assert.equal(await sessionsOf('enrolled@example.com'), 0);
  });

  it('a user without a second factor keeps the grant', async () => {
    const res = await grant('plain@example.com');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.scope, 'catalog:read');
  });
});
