/**
 * Cookie tossing, tried as an attacker on a sibling subdomain would: that page cannot read the auth
 * service's cookies, but it can set cookies for the parent domain, and a browser that has no sign-in
 * of its own would send the planted one to the auth service. A browser refuses a `__Host-` cookie that
 * carries a Domain (and any `__Host-` cookie not Secure with Path=/), so on an https issuer the auth
 * service must name its cookies with the prefix, and honour only those names.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRole, createUser, startTestAuth, type TestAuth } from './support.js';
import {
  FormBrowser,
  REDIRECT_URI,
  authorizeQuery,
  createCodeClient,
  formFields,
  pkcePair,
  signInAndAllow,
  type CodeClient,
} from './code-flow-support.js';

const PASSWORD = 'correct horse battery staple';

/** An authorization request of a first-party code client (PKCE S256). */
function codeRequest(client: CodeClient): Record<string, string> {
  return {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid catalog:read',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  };
}

/** The Set-Cookie lines of a response, by cookie name. */
function setCookies(headers: Headers): Map<string, string> {
  return new Map(headers.getSetCookie().map((line) => [line.slice(0, line.indexOf('=')), line]));
}

describe('the sign-in and CSRF cookies on an https issuer', () => {
  let auth: TestAuth;
  let client: CodeClient;

  before(async () => {
    auth = await startTestAuth({ TOKEN_ISSUER: 'https://auth.example.test' });
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, 'mallory@example.com', PASSWORD, ['reader']);
    client = await createCodeClient(auth, { isFirstParty: true });
  });
  after(() => auth.close());

  const request = () => codeRequest(client);

  it('are __Host- cookies: Secure, Path=/, no Domain', async () => {
    const browser = new FormBrowser(auth.url);
    const page = await browser.get(authorizeQuery(request()));
    assert.equal(page.status, 200);
    assert.deepEqual([...setCookies(page.headers).keys()], ['__Host-tandem_csrf'], 'the login page');
    const signedIn = await browser.post('/oauth/authorize', {
      ...formFields(page.html),
      email: 'mallory@example.com',
      password: PASSWORD,
    });
    assert.equal(signedIn.status, 303, signedIn.html.slice(0, 300));
    const lines = setCookies(signedIn.headers);
    assert.deepEqual([...lines.keys()].sort(), ['__Host-tandem_csrf', '__Host-tandem_login']);
    for (const line of [...lines.values(), ...setCookies(page.headers).values()]) {
      const attributes = line.split(';').map((a) => a.trim().toLowerCase());
      for (const wanted of ['secure', 'path=/', 'httponly', 'samesite=lax'])
        assert.ok(attributes.includes(wanted), line);
      assert.ok(!attributes.some((a) => a.startsWith('domain=')), line);
    }
  });

  it('a sign-in planted under the plain name is not honoured: the login page is shown, no code', async () => {
    // Mallory signs in on her own browser and copies her sign-in token.
    const mallory = new FormBrowser(auth.url);
    await signInAndAllow(mallory, request(), 'mallory@example.com', PASSWORD);
    const token = mallory.cookies.get('__Host-tandem_login')!;
    assert.ok(token);

    // From a sibling subdomain she can only plant a cookie without the prefix.
    const victim = new FormBrowser(auth.url);
    victim.cookies.set('tandem_login', token);
    const page = await victim.get(authorizeQuery(request()));
    assert.equal(page.status, 200, 'no redirect carrying a code for her account');
    assert.match(page.html, /name="password"/);

    // The same token under the prefixed name (which no sibling can set) is a sign-in: the test above
    // would fail if the service read the plain name.
    const same = new FormBrowser(auth.url);
    same.cookies.set('__Host-tandem_login', token);
    const back = await same.get(authorizeQuery(request()));
    assert.equal(back.status, 303);
    assert.ok(new URL(back.location!).searchParams.get('code'));
  });

  it('logout deletes the prefixed cookies with the same attributes', async () => {
    const browser = new FormBrowser(auth.url);
    await signInAndAllow(browser, request(), 'mallory@example.com', PASSWORD);
    const confirm = await browser.get('/oauth/logout');
    const out = await browser.post('/oauth/logout', { csrf: formFields(confirm.html).csrf!, logout: '' });
    assert.equal(out.status, 200);
    const lines = setCookies(out.headers);
    for (const name of ['__Host-tandem_login', '__Host-tandem_csrf']) {
      assert.match(lines.get(name) ?? '', /^[^=]+=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    }
    assert.equal(browser.cookies.size, 0);
  });
});

describe('the cookies on a plain-http issuer (development)', () => {
  let auth: TestAuth;

  before(async () => {
    auth = await startTestAuth();
  });
  after(() => auth.close());

  it('keep their plain names and Path=/oauth, not Secure', async () => {
    const client = await createCodeClient(auth, { isFirstParty: true });
    const page = await new FormBrowser(auth.url).get(authorizeQuery(codeRequest(client)));
    const line = setCookies(page.headers).get('tandem_csrf');
    assert.ok(line, page.headers.getSetCookie().join(' | '));
    assert.match(line, /; Path=\/oauth; HttpOnly; SameSite=Lax$/);
  });
});
