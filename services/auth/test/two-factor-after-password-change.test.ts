/**
 * A password change ends half-done two-factor sign-ins, as it ends the account's sessions. Tried as
 * an attacker with a stolen password would: they pass the password step (a staff member without an
 * authenticator is sent to enrol one, and the attacker scans the secret), the owner changes the
 * password, and the attacker types a right code from their authenticator. The enrolment must not
 * complete, no code or session may come of it, and no new secret is shown; the pending (unconfirmed)
 * row is gone with the change, while a confirmed authenticator stays. The same for the code step of an
 * enrolled user. Real auth service and database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '@tandem/accounts';
import { testDialect } from '@tandem/models/testing';
import { LoginSession, Session, User, UserTotp } from '@tandem/models';
import { revokeUserSessions } from '@tandem/tokens';
import { TwoFactor, totpCodeAt } from '@tandem/two-factor';
import { SECRET_KEY, createRole, createUser, startTestAuth, type TestAuth } from './support.js';
import {
  FormBrowser,
  REDIRECT_URI,
  authorizeQuery,
  createCodeClient,
  formFields,
  pkcePair,
  type CodeClient,
  type PageAnswer,
} from './code-flow-support.js';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase 42';
const SECRET = /id="totp-secret">([A-Z2-7]+)</;

describe(`a password change ends half-done two-factor sign-ins (${testDialect()})`, () => {
  let auth: TestAuth;
  let client: CodeClient;
  let twoFactor: TwoFactor;

  before(async () => {
    auth = await startTestAuth({ TWO_FACTOR_REQUIRED_FOR_STAFF: 'true' });
    await createRole(auth, 'reader', ['catalog:read']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
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

  const staff = async (email: string) => {
    const id = await createUser(auth, email, PASSWORD, ['reader']);
    await auth.db.orm.em.fork().nativeUpdate(User, { id }, { isStaff: true });
    return id;
  };
  /** The attacker's browser after the password step (the stolen password). */
  const passwordStep = async (email: string) => {
    const browser = new FormBrowser(auth.url);
    const query = {
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'openid catalog:read',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    };
    const login = await browser.get(authorizeQuery(query));
    const page = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email,
      password: PASSWORD,
    });
    assert.equal(page.status, 200, page.html.slice(0, 300));
    return { browser, page };
  };
  const post = (browser: FormBrowser, page: PageAnswer, fields: Record<string, string>) =>
    browser.post('/oauth/authorize', { ...formFields(page.html), ...fields });
  /** What the admin's "change password" and `tandem changepassword` do: new hash and revocation, together. */
  const ownerChangesPassword = async (userId: number) => {
    const passwordHash = await hashPassword(NEW_PASSWORD);
    await auth.db.orm.em.fork().transactional(async (tx) => {
      await tx.nativeUpdate(User, { id: userId }, { passwordHash });
      await revokeUserSessions(tx, userId, 'password_changed');
    });
  };
  const totpRows = (userId: number) => auth.db.orm.em.fork().find(UserTotp, { user: userId });
  const nothingIssued = async (userId: number) => {
    const em = auth.db.orm.em.fork();
    assert.equal(await em.count(Session, { user: userId }), 0, 'no session');
    assert.equal(await em.count(LoginSession, { user: userId, endedAt: null }), 0, 'no live sign-in');
  };

  it('an enrolment started with the old password cannot be finished after the change', async () => {
    const userId = await staff('enrolling@example.com');
    const { browser, page } = await passwordStep('enrolling@example.com');
    const secret = SECRET.exec(page.html)?.[1];
    assert.ok(secret, 'the attacker sees the secret to scan');
    assert.equal((await totpRows(userId)).length, 1, 'the pending secret is stored');

    await ownerChangesPassword(userId);
    assert.equal((await totpRows(userId)).length, 0, 'the pending enrolment ended with the change');

    const finished = await post(browser, page, { code: totpCodeAt(secret) });
    assert.equal(finished.status, 400, finished.html.slice(0, 300));
    assert.match(finished.html, /Sign in again/);
    assert.doesNotMatch(finished.html, SECRET, 'no new secret is handed out');
    assert.equal(finished.location, undefined);
    assert.equal((await totpRows(userId)).length, 0, 'nothing was enrolled');
    // A wrong code used to show the enrolment page again (a new secret, had the row gone): no longer.
    const retried = await post(browser, page, { code: '000000' });
    assert.equal(retried.status, 400);
    assert.doesNotMatch(retried.html, SECRET);
    assert.equal((await totpRows(userId)).length, 0);
    await nothingIssued(userId);

    // The owner, with the new password, enrols and signs in as usual.
    const owner = new FormBrowser(auth.url);
    const login = await owner.get(
      authorizeQuery({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      }),
    );
    const enrolPage = await owner.post('/oauth/authorize', {
      ...formFields(login.html),
      email: 'enrolling@example.com',
      password: NEW_PASSWORD,
    });
    const ownSecret = SECRET.exec(enrolPage.html)?.[1];
    assert.ok(ownSecret);
    assert.notEqual(ownSecret, secret, 'a new secret, not the one the attacker scanned');
    const codes = await post(owner, enrolPage, { code: totpCodeAt(ownSecret) });
    assert.equal(codes.status, 200, codes.html.slice(0, 300));
    assert.equal(formFields(codes.html).step, 'otp-continue');
  });

  it('the code step of an enrolled user started before the change is refused; the authenticator stays', async () => {
    const userId = await staff('enrolled@example.com');
    const user = { id: userId, email: 'enrolled@example.com' };
    const enrolment = await twoFactor.beginEnrolment(user, 'attempt:test');
    assert.ok(enrolment);
    assert.ok(
      (await twoFactor.confirmEnrolment(user, 'attempt:test', totpCodeAt(enrolment.secret), '127.0.0.9')).ok,
    );
    const { browser, page } = await passwordStep('enrolled@example.com');
    assert.equal(formFields(page.html).step, 'otp');

    await ownerChangesPassword(userId);
    const rows = await totpRows(userId);
    assert.equal(rows.length, 1, 'a confirmed authenticator survives the change');
    assert.ok(rows[0]!.confirmedAt);

    const answer = await post(browser, page, { code: totpCodeAt(enrolment.secret, Date.now() + 30_000) });
    assert.equal(answer.status, 400, answer.html.slice(0, 300));
    assert.equal(answer.location, undefined, 'no code');
    await nothingIssued(userId);
  });
});
