/**
 * Attack: keep logging in to the admin with the password alone while the account's owner turns
 * two-factor sign-in on. Logins are sent in parallel, and the authenticator is confirmed (confirmTotp,
 * through @tandem/two-factor as the admin's account page does) as soon as the first one answers,
 * while the others are between the check for a second factor and their session. Whatever they
 * answered (the admin, or the code step), no session got with the password alone may work after the
 * confirmation (docs/architecture.md, decision 13). Real admin and database (SQLite, or PostgreSQL with
 * DATABASE_URL, where the race is real).
 *
 * The admin's window (between the check for a factor and the session's stamp) is a few queries wide,
 * and the parallel logins seldom land in it; the second case forces the order on PostgreSQL: the
 * confirmation holds the user's row (as confirmTotp takes it first) while a login waits for it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { User } from '@tandem/models';
import { testDialect, THROTTLE_OUT_OF_THE_WAY, whileAnotherWriterHolds } from '@tandem/models/testing';
import { TwoFactor, totpCodeAt } from '@tandem/two-factor';
import { Client, SECRET_KEY, createStaff, startFixture, type Fixture } from './support.js';

const EMAIL = 'securing@example.com';
const ATTEMPTS = 16;
const ATTEMPT = 'attempt:owner-enrols';

describe(`attack: logging in with the password alone while a second factor is turned on (${testDialect()})`, () => {
  let fixture: Fixture;
  let twoFactor: TwoFactor;

  before(async () => {
    // Room for every parallel attempt: the throttle is not what this file tests.
    fixture = await startFixture(THROTTLE_OUT_OF_THE_WAY);
    await createStaff(fixture, EMAIL, ['view_product']);
    // The admin's secret key and database: the owner's enrolment is the admin's.
    twoFactor = new TwoFactor({
      em: fixture.db.orm.em,
      secretKey: SECRET_KEY,
      issuer: 'Tandem',
      throttle: { attempts: 50, windowSeconds: 60 },
    });
  });
  after(async () => {
    await twoFactor.close();
    await fixture.close();
  });

  it('no admin session got with the password alone works after the confirmation', async () => {
    const user = await fixture.db.orm.em.fork().findOneOrFail(User, { email: EMAIL });
    // The owner's enrolment, begun (in another session) before the race: its confirmation is the change.
    const enrolment = await twoFactor.beginEnrolment(user, ATTEMPT);
    assert.ok(enrolment);
    let confirmed: Promise<boolean> | undefined;
    const clients = await Promise.all(
      Array.from({ length: ATTEMPTS }, async () => {
        const client = new Client(fixture.origin);
        const login = await client.login(EMAIL);
        confirmed ??= twoFactor
          .confirmEnrolment(user, ATTEMPT, totpCodeAt(enrolment.secret), '127.0.0.2')
          .then((verdict) => verdict.ok);
        return { client, login };
      }),
    );
    assert.equal(await confirmed, true, 'the owner confirmed the authenticator');
    const admitted = clients.filter(({ login }) => login.headers.get('location') === '/admin');
    assert.ok(admitted.length > 0, 'the first login got in before the confirmation');
    for (const { client, login } of clients) {
      // The admin, the code step, or the login again: never a 500.
      assert.equal(login.status, 302, `login answered ${login.status}`);
      const page = await client.request('/admin/api/resources/Product/actions/list');
      assert.notEqual(page.status, 200, 'a password-only session still reads the admin');
    }
  });

  it(
    'a login waiting for the row of a confirmation goes on to the code step',
    { skip: testDialect() !== 'postgresql' && 'SQLite has one writer at a time (no row locks to wait on)' },
    async () => {
      const email = 'waits@example.com';
      // view_product: a password-only session would read the list below.
      const user = await createStaff(fixture, email, ['view_product']);
      assert.ok(await twoFactor.beginEnrolment(user, ATTEMPT));
      const client = new Client(fixture.origin);
      // The confirmation as confirmTotp writes it: the user's row, then the authenticator confirmed.
      const login = await whileAnotherWriterHolds(
        fixture.db.url,
        async (writer) => {
          await writer.query('select 1 from users where id = $1 for no key update', [user.id]);
          await writer.query('update user_totp set confirmed_at = now() where user_id = $1', [user.id]);
        },
        () => client.login(email),
      );
      const page = await client.request('/admin/api/resources/Product/actions/list');
      assert.notEqual(page.status, 200, 'a password-only session reads the admin after the confirmation');
      assert.equal(login.status, 302);
      assert.equal(login.headers.get('location'), '/admin/login/two-factor');
    },
  );
});
