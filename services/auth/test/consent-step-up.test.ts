/**
 * Attack: at a browser left signed in, someone answers an authorization request that demands a new
 * sign-in (prompt=login, max_age, a login_hint naming another account) without the password, by
 * posting the consent step with the hidden fields of the login page it was shown. The answer must meet
 * the same demands as the page: without the proof a consent form carries when it follows a sign-in
 * made for that very request, the post gets the login page again, and no code. Real auth service and
 * database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationCode, Consent } from '@tandem/models';
import { createRole, createUser, jwtPayload, startTestAuth, type TestAuth } from './support.js';
import {
  FormBrowser,
  authorizeQuery,
  createCodeClient,
  exchange,
  formFields,
  pkcePair,
  signInAndAllow,
  validAuthorizeParams,
  type CodeClient,
} from './code-flow-support.js';

const ANN = 'ann@example.com';
const BOB = 'bob@example.com';
const PASSWORD = 'correct horse battery staple';

describe('step-up demands hold on the consent step too', () => {
  let auth: TestAuth;
  let firstParty: CodeClient;
  let thirdParty: CodeClient;
  let annId: number;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    annId = await createUser(auth, ANN, PASSWORD, ['reader']);
    await createUser(auth, BOB, PASSWORD, ['reader']);
    firstParty = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    thirdParty = await createCodeClient(auth, { isPublic: true, isFirstParty: false });
  });
  after(() => auth.close());

  const codes = () => auth.db.orm.em.fork().count(AuthorizationCode, {});
  /** A browser signed in as Bob a moment ago (for the first-party client: no consent asked). */
  const bobsBrowser = async () => {
    const browser = new FormBrowser(auth.url);
    await signInAndAllow(browser, validAuthorizeParams(firstParty), BOB, PASSWORD);
    return browser;
  };

  for (const [client, demand] of [
    ['first-party', { prompt: 'login' }],
    ['first-party', { max_age: '0' }],
    ['first-party', { login_hint: ANN }],
    ['third-party', { prompt: 'login' }],
    ['third-party', { max_age: '0' }],
  ] as const) {
    it(`${client} client, ${JSON.stringify(demand)}: a consent post lifted from the login page gets the login page`, async () => {
      const browser = await bobsBrowser();
      const target = client === 'first-party' ? firstParty : thirdParty;
      const login = await browser.get(authorizeQuery({ ...validAuthorizeParams(target), ...demand }));
      assert.match(login.html, /name="password"/, 'the page asks for the password');
      const before = await codes();
      const consents = await auth.db.orm.em.fork().count(Consent, {});
      for (const forged of [
        { ...formFields(login.html), step: 'consent', decision: 'allow' },
        // A proof made up, or one of another field's value, is no proof.
        { ...formFields(login.html), step: 'consent', decision: 'allow', fresh_sign_in: 'x'.repeat(43) },
        {
          ...formFields(login.html),
          step: 'consent',
          decision: 'allow',
          fresh_sign_in: formFields(login.html).csrf!,
        },
      ]) {
        const answer = await browser.post('/oauth/authorize', forged);
        assert.equal(answer.location, undefined, `no redirect: ${answer.location}`);
        assert.equal(answer.status, 200);
        assert.match(answer.html, /name="password"/, 'the login page again');
      }
      assert.equal(await codes(), before, 'no code issued');
      assert.equal(await auth.db.orm.em.fork().count(Consent, {}), consents, 'no consent remembered');
    });
  }

  it('signing in for the request, then allowing, gives a code even with max_age=0 and prompt=login', async () => {
    const browser = await bobsBrowser();
    const pkce = pkcePair();
    const query = {
      ...validAuthorizeParams(thirdParty),
      code_challenge: pkce.challenge,
      prompt: 'login',
      max_age: '0',
    };
    const login = await browser.get(authorizeQuery(query));
    const consent = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email: ANN,
      password: PASSWORD,
    });
    assert.match(consent.html, /name="decision"/, 'the consent page, after the sign-in');
    assert.ok(formFields(consent.html).fresh_sign_in, 'carrying the proof of the sign-in');
    const allowed = await browser.post('/oauth/authorize', {
      ...formFields(consent.html),
      decision: 'allow',
    });
    const code = new URL(allowed.location ?? 'about:blank').searchParams.get('code');
    assert.ok(code, `a code: ${allowed.status} ${allowed.html.slice(0, 200)}`);
    const tokens = await exchange(auth, thirdParty, code, pkce.verifier);
    assert.equal(tokens.status, 200);
    const idToken = jwtPayload(String(tokens.body.id_token));
    assert.equal(idToken.sub, String(annId), 'the account that just signed in');
  });

  it('a proof is good for its own request only: another request’s consent form cannot reuse it', async () => {
    const browser = await bobsBrowser();
    const login = await browser.get(authorizeQuery({ ...validAuthorizeParams(thirdParty), prompt: 'login' }));
    const consent = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email: BOB,
      password: PASSWORD,
    });
    const proof = formFields(consent.html).fresh_sign_in!;
    // Another request demanding a new sign-in (a different state), answered with the first one's proof.
    const other = await browser.get(
      authorizeQuery({ ...validAuthorizeParams(thirdParty), prompt: 'login', state: 'other' }),
    );
    const before = await codes();
    const answer = await browser.post('/oauth/authorize', {
      ...formFields(other.html),
      step: 'consent',
      decision: 'allow',
      fresh_sign_in: proof,
    });
    assert.equal(answer.location, undefined);
    assert.match(answer.html, /name="password"/);
    assert.equal(await codes(), before);
  });
});
