/**
 * The authorization page read as an attacker would (HTTP level, real database): what a sign-in leaves
 * usable after logout or a password change, what a browser's earlier cookies and form tokens are worth
 * after a sign-in, and whether the half-done sign-in between password and code works in another browser.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationCode, LoginSession, Session, User } from '@tandem/models';
import { revokeUserSessions } from '@tandem/tokens';
import { TwoFactor, totpCodeAt } from '@tandem/two-factor';
import { hashCode } from '../src/authorize/grant.js';
import { SECRET_KEY, createRole, createUser, startTestAuth, type TestAuth } from './support.js';
import {
  FormBrowser,
  REDIRECT_URI,
  authorizeQuery,
  createCodeClient,
  exchange,
  formFields,
  pkcePair,
  signInAndAllow,
  type CodeClient,
} from './code-flow-support.js';

const PASSWORD = 'correct horse battery staple';

describe('sign-in hardening on the authorization page', () => {
  let auth: TestAuth;
  let client: CodeClient;
  let twoFactor: TwoFactor;
  let otpSecret: string;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    for (const email of ['ann@example.com', 'bob@example.com', 'otp@example.com'])
      await createUser(auth, email, PASSWORD, ['reader']);
    client = await createCodeClient(auth, { isFirstParty: true });
    twoFactor = new TwoFactor({
      em: auth.db.orm.em,
      secretKey: SECRET_KEY,
      issuer: 'Tandem',
      throttle: { attempts: 50, windowSeconds: 60 },
    });
    const user = await auth.db.orm.em.fork().findOneOrFail(User, { email: 'otp@example.com' });
    const enrolment = await twoFactor.beginEnrolment(user, 'attempt:test');
    assert.ok(enrolment);
    assert.ok(
      (await twoFactor.confirmEnrolment(user, 'attempt:test', totpCodeAt(enrolment.secret), '127.0.0.2')).ok,
    );
    otpSecret = enrolment.secret;
  });
  after(async () => {
    await twoFactor.close();
    await auth.close();
  });

  const request = (challenge: string, extra: Record<string, string> = {}) => ({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid catalog:read',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  const codeIn = async (browser: FormBrowser, email: string) => {
    const { verifier, challenge } = pkcePair();
    const back = await signInAndAllow(browser, request(challenge), email, PASSWORD);
    return { code: back.searchParams.get('code')!, verifier };
  };
  const sessionsOf = async (email: string) => auth.db.orm.em.fork().count(Session, { user: { email } });

  it('logout spends the codes the sign-in got and no client exchanged yet', async () => {
    const browser = new FormBrowser(auth.url);
    const { code, verifier } = await codeIn(browser, 'ann@example.com');
    const confirm = await browser.get('/oauth/logout');
    const out = await browser.post('/oauth/logout', { csrf: formFields(confirm.html).csrf!, logout: '' });
    assert.equal(out.status, 200);
    const before = await sessionsOf('ann@example.com');
    const late = await exchange(auth, client, code, verifier);
    assert.equal(late.status, 400);
    assert.equal(late.body.error, 'invalid_grant');
    assert.equal(await sessionsOf('ann@example.com'), before, 'no session started after the logout');
  });

  it('a password change (revokeUserSessions) spends the codes not exchanged yet', async () => {
    const { code, verifier } = await codeIn(new FormBrowser(auth.url), 'bob@example.com');
    const userId = (await auth.db.orm.em.fork().findOneOrFail(User, { email: 'bob@example.com' })).id;
    await auth.db.orm.em.fork().transactional((em) => revokeUserSessions(em, userId, 'password_changed'));
    const late = await exchange(auth, client, code, verifier);
    assert.equal(late.body.error, 'invalid_grant');
    const row = await auth.db.orm.em.fork().findOneOrFail(AuthorizationCode, { codeHash: hashCode(code) });
    assert.equal(row.sessionId, null, 'nothing was issued for it');
  });

  it('signing in again on a browser ends its earlier sign-in; the old cookie is worth nothing', async () => {
    const browser = new FormBrowser(auth.url);
    await codeIn(browser, 'ann@example.com');
    const oldCookie = browser.cookies.get('tandem_login')!;
    const { challenge } = pkcePair();
    const login = await browser.get(authorizeQuery(request(challenge, { prompt: 'login' })));
    assert.equal(login.status, 200);
    const done = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email: 'bob@example.com',
      password: PASSWORD,
    });
    assert.equal(done.status, 303, done.html.slice(0, 300));
    assert.notEqual(browser.cookies.get('tandem_login'), oldCookie, 'a new sign-in token');

    // Replayed elsewhere (stolen, or planted before the sign-in), the old cookie signs nobody in.
    const thief = new FormBrowser(auth.url);
    thief.cookies.set('tandem_login', oldCookie);
    const replay = await thief.get(authorizeQuery(request(pkcePair().challenge, { prompt: 'none' })));
    assert.equal(new URL(replay.location!).searchParams.get('error'), 'login_required');
    const live = await auth.db.orm.em
      .fork()
      .count(LoginSession, { user: { email: 'ann@example.com' }, endedAt: null });
    assert.equal(live, 0, "ann's sign-in on that browser ended when bob signed in");
  });

  it('a sign-in renews the CSRF cookie: forms shown before it stop working, and logout clears it', async () => {
    const browser = new FormBrowser(auth.url);
    // A third-party client: its consent page comes after the sign-in.
    const thirdParty = await createCodeClient(auth);
    const login = await browser.get(
      authorizeQuery(request(pkcePair().challenge, { client_id: thirdParty.clientId })),
    );
    const before = browser.cookies.get('tandem_csrf');
    const stale = formFields(login.html);
    const signedIn = await browser.post('/oauth/authorize', {
      ...stale,
      email: 'ann@example.com',
      password: PASSWORD,
    });
    assert.notEqual(browser.cookies.get('tandem_csrf'), before);
    // The consent page after the sign-in carries a token for the new cookie: it works.
    assert.equal(signedIn.status, 200);
    assert.match(signedIn.html, /name="decision"/);
    // The login form's token from before the sign-in is refused now.
    const replay = await browser.post('/oauth/authorize', {
      ...stale,
      email: 'ann@example.com',
      password: PASSWORD,
    });
    assert.equal(replay.status, 403);
    const allowed = await browser.post('/oauth/authorize', {
      ...formFields(signedIn.html),
      decision: 'allow',
    });
    assert.equal(allowed.status, 303);

    const confirm = await browser.get('/oauth/logout');
    await browser.post('/oauth/logout', { csrf: formFields(confirm.html).csrf!, logout: '' });
    assert.equal(browser.cookies.has('tandem_csrf'), false);
    assert.equal(browser.cookies.has('tandem_login'), false);
  });

  it('the half-done sign-in (password, no code yet) does not work in another browser', async () => {
    const browser = new FormBrowser(auth.url);
    const login = await browser.get(authorizeQuery(request(pkcePair().challenge)));
    const otpPage = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email: 'otp@example.com',
      password: PASSWORD,
    });
    assert.equal(formFields(otpPage.html).step, 'otp');
    const { pending } = formFields(otpPage.html);

    // Another browser with its own valid CSRF cookie and token, carrying the copied pending sign-in.
    const other = new FormBrowser(auth.url);
    const otherLogin = await other.get(authorizeQuery(request(pkcePair().challenge)));
    const code = totpCodeAt(otpSecret, Date.now() + 30_000);
    const stolen = await other.post('/oauth/authorize', {
      ...formFields(otherLogin.html),
      step: 'otp',
      pending: pending!,
      code,
    });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.location, undefined);
    assert.match(stolen.html, /took too long/);

    // In its own browser it still works.
    const done = await browser.post('/oauth/authorize', { ...formFields(otpPage.html), code });
    assert.equal(done.status, 303, done.html.slice(0, 300));
  });
});
