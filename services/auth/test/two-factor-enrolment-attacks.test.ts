/**
 * Two-factor enrolment on the authorization page, tried as an attacker who knows a staff member's
 * password would: (1) plant a secret by reaching the enrolment page first and leaving, hoping the
 * owner later enrols with the same secret; (2) keep a password-only sign-in (a browser sign-in, a
 * refresh token) from before the owner turns two-factor on. Real auth service and database (SQLite,
 * or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { LoginSession, Session, User } from '@tandem/models';
import { totpCodeAt } from '@tandem/two-factor';
import { createRole, createUser, jwtPayload, postForm, startTestAuth, type TestAuth } from './support.js';
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
const SECRET = /id="totp-secret">([A-Z2-7]+)</;
const STEP_MS = 30_000;

describe(`two-factor enrolment attacks on the authorization page (${testDialect()})`, () => {
  let auth: TestAuth;
  let client: CodeClient;

  before(async () => {
    auth = await startTestAuth({ TWO_FACTOR_REQUIRED_FOR_STAFF: 'true' });
    await createRole(auth, 'reader', ['catalog:read']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
  });
  after(() => auth.close());

  const makeStaff = (id: number) => auth.db.orm.em.fork().nativeUpdate(User, { id }, { isStaff: true });
  const query = (extra: Record<string, string> = {}) =>
    authorizeQuery({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'openid catalog:read',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
  /** A browser after the password step (the page that follows it). */
  const passwordStep = async (email: string, browser = new FormBrowser(auth.url)) => {
    const login = await browser.get(query());
    const page = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email,
      password: PASSWORD,
    });
    return { browser, page };
  };
  const post = (browser: FormBrowser, page: PageAnswer, fields: Record<string, string>) =>
    browser.post('/oauth/authorize', { ...formFields(page.html), ...fields });
  const secretOf = (page: PageAnswer) => {
    const secret = SECRET.exec(page.html)?.[1];
    assert.ok(secret, page.html.slice(0, 300));
    return secret;
  };
  /** Whether the browser's sign-in still gets a code without being asked anything (prompt=none). */
  const silentCode = async (browser: FormBrowser) => {
    const answer = await browser.get(query({ prompt: 'none' }));
    assert.equal(answer.status, 303, answer.html.slice(0, 300));
    const back = new URL(answer.location!);
    return back.searchParams.get('code') ?? back.searchParams.get('error');
  };

  it("an attacker's enrolment page does not decide the owner's secret", async () => {
    const userId = await createUser(auth, 'planted@example.com', PASSWORD, ['reader']);
    await makeStaff(userId);
    // The attacker reaches the enrolment page, notes the secret, leaves.
    const attacker = await passwordStep('planted@example.com');
    const planted = secretOf(attacker.page);

    // Later the owner signs in: their own enrolment, with a secret the attacker never saw.
    const owner = await passwordStep('planted@example.com');
    const own = secretOf(owner.page);
    assert.notEqual(own, planted, 'a fresh secret for the owner’s sign-in');
    // The owner's sign-in does not take a code of the planted secret.
    const withPlanted = await post(owner.browser, owner.page, { code: totpCodeAt(planted) });
    assert.equal(withPlanted.status, 401);
    assert.equal(secretOf(withPlanted), own, 'the owner’s page keeps showing the owner’s secret');

    const codes = await post(owner.browser, withPlanted, { code: totpCodeAt(own) });
    assert.equal(codes.status, 200, codes.html.slice(0, 300));
    assert.equal(formFields(codes.html).step, 'otp-continue');

    // The attacker's half-done enrolment cannot be finished with the planted secret.
    const attackerConfirms = await post(attacker.browser, attacker.page, { code: totpCodeAt(planted) });
    assert.notEqual(attackerConfirms.status, 200);
    assert.equal(attackerConfirms.location, undefined);

    // After the owner enrolled, a code from the planted secret does not pass the sign-in's code step.
    const again = await passwordStep('planted@example.com');
    assert.equal(formFields(again.page.html).step, 'otp');
    const refused = await post(again.browser, again.page, {
      code: totpCodeAt(planted, Date.now() + STEP_MS),
    });
    assert.equal(refused.status, 401);
    assert.equal(refused.location, undefined);
  });

  it('turning two-factor on ends earlier password-only sign-ins and refresh tokens, not the enrolling one', async () => {
    const email = 'late-staff@example.com';
    const userId = await createUser(auth, email, PASSWORD, ['reader']);
    // Before the account became staff, someone signed in with the password alone: a browser...
    const earlier = await passwordStep(email);
    assert.equal(earlier.page.status, 303, earlier.page.html.slice(0, 300));
    assert.ok(new URL(earlier.page.location!).searchParams.get('code'));
    assert.match((await silentCode(earlier.browser))!, /^[A-Za-z0-9_-]{20,}$/, 'a code without asking');
    // ...and the password grant (a refresh token).
    const grant = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'password',
      username: email,
      password: PASSWORD,
    });
    assert.equal(grant.status, 200, grant.text);
    const sid = String(jwtPayload(String(grant.body.access_token)).sid);

    await makeStaff(userId);
    const enrolling = await passwordStep(email);
    const codes = await post(enrolling.browser, enrolling.page, {
      code: totpCodeAt(secretOf(enrolling.page)),
    });
    assert.equal(formFields(codes.html).step, 'otp-continue');

    // The earlier sign-ins are over: no silent code, no refresh.
    assert.equal(await silentCode(earlier.browser), 'login_required');
    const refreshed = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: String(grant.body.refresh_token),
    });
    assert.equal(refreshed.status, 400, refreshed.text);
    assert.equal(refreshed.body.error, 'invalid_grant');
    const session = await auth.db.orm.em.fork().findOneOrFail(Session, { id: sid });
    assert.equal(session.revokedReason, 'two_factor_enabled');

    // The enrolling sign-in continues: it ends in a code, and its browser stays signed in.
    const done = await post(enrolling.browser, codes, {});
    assert.equal(done.status, 303, done.html.slice(0, 300));
    assert.ok(new URL(done.location!).searchParams.get('code'));
    assert.match((await silentCode(enrolling.browser))!, /^[A-Za-z0-9_-]{20,}$/);
    const live = await auth.db.orm.em.fork().find(LoginSession, { user: userId, endedAt: null });
    assert.equal(live.length, 1);
    assert.equal(live[0]!.amr, 'pwd otp');
  });
});
