/**
 * Attack: keep signing in on the authorization page with the password alone while the account's
 * owner turns two-factor sign-in on. Password steps are sent in parallel, and the authenticator is
 * confirmed (confirmTotp, through @tandem/two-factor as both login pages do, which ends the user's
 * sign-ins with it) as soon as the first one answers, while the others are between the check for a
 * second factor and their sign-in. Whatever they answer (a sign-in, or the code step), no sign-in got
 * with the password alone may outlive the confirmation (docs/architecture.md, decision 13), and none
 * answers 500. Real auth service and database (SQLite, or PostgreSQL with DATABASE_URL, where the
 * race is real).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LoginSession, User } from '@tandem/models';
import { testDialect, THROTTLE_OUT_OF_THE_WAY } from '@tandem/models/testing';
import { TwoFactor, totpCodeAt } from '@tandem/two-factor';
import { SECRET_KEY, createRole, createUser, startTestAuth, type TestAuth } from './support.js';
import { createCodeClient, exchange, passwordStep, type CodeClient } from './code-flow-support.js';

const PASSWORD = 'correct horse battery staple';
const ATTEMPTS = 16;
const ATTEMPT = 'attempt:owner-enrols';

describe(`attack: signing in with the password alone while a second factor is turned on (${testDialect()})`, () => {
  let auth: TestAuth;
  let client: CodeClient;
  let twoFactor: TwoFactor;

  before(async () => {
    // Room for every parallel attempt: the throttle is not what this file tests.
    auth = await startTestAuth(THROTTLE_OUT_OF_THE_WAY);
    await createRole(auth, 'reader', ['catalog:read']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    // The same secret key and database as the service: the owner's enrolment is the service's.
    twoFactor = new TwoFactor({
      em: auth.db.orm.em,
      secretKey: SECRET_KEY,
      issuer: 'Tandem',
      throttle: { attempts: 50, windowSeconds: 60 },
    });
  });
  after(async () => {
    await twoFactor.close();
    await auth.close();
  });

  const passwordStepOf = (email: string) => passwordStep(auth.url, client, email, PASSWORD);

  it('no sign-in got with the password alone outlives the confirmation; the others get the code step', async () => {
    const email = 'securing@example.com';
    await createUser(auth, email, PASSWORD, ['reader']);
    const user = await auth.db.orm.em.fork().findOneOrFail(User, { email });
    // The owner's enrolment, begun (elsewhere, signed in) before the race: its confirmation is the change.
    const enrolment = await twoFactor.beginEnrolment(user, ATTEMPT);
    assert.ok(enrolment);
    let confirmed: Promise<boolean> | undefined;
    const results = await Promise.all(
      Array.from({ length: ATTEMPTS }, async () => {
        const result = await passwordStepOf(email);
        confirmed ??= twoFactor
          .confirmEnrolment(user, ATTEMPT, totpCodeAt(enrolment.secret), '127.0.0.2')
          .then((verdict) => verdict.ok);
        return result;
      }),
    );
    assert.equal(await confirmed, true, 'the owner confirmed the authenticator');
    assert.ok(
      results.some(({ answer }) => answer.status === 303),
      'the first attempt signed in before the confirmation',
    );
    for (const { answer, verifier } of results) {
      if (answer.status !== 303) {
        // The code step (the factor was there when it looked), or the login page again: never a 500.
        assert.ok([200, 400].includes(answer.status), `${answer.status}: ${answer.html.slice(0, 300)}`);
        assert.equal(answer.location, undefined);
        continue;
      }
      const code = new URL(answer.location!).searchParams.get('code');
      assert.ok(code);
      const exchanged = await exchange(auth, client, code, verifier);
      assert.equal(exchanged.status, 400, `a code got with the password alone exchanged: ${exchanged.text}`);
    }
    const live = await auth.db.orm.em.fork().count(LoginSession, { user: user.id, endedAt: null });
    assert.equal(live, 0, 'a sign-in got with the password alone outlives the second factor');
  });
});
