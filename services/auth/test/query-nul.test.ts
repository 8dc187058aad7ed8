import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRole, createUser, startTestAuth, type TestAuth } from './support.js';
import {
  FormBrowser,
  REDIRECT_URI,
  authorizeQuery,
  createCodeClient,
  formFields,
  signInAndAllow,
  type CodeClient,
  type PageAnswer,
  validAuthorizeParams,
} from './code-flow-support.js';

const EMAIL = 'nul@example.com';
const PASSWORD = 'nul password 12345';

/** The value with U+0000 in the middle, as a query string carries it (`%00`). */
const withNul = (value: string) => `${value.slice(0, 1)}\0${value.slice(1)}`;

/**
 * U+0000 in a query parameter of the authorization and logout endpoints. PostgreSQL refuses a
 * statement with it ("invalid byte sequence for encoding UTF8: 0x00"), which was a 500; every such
 * request is a clear refusal instead: the error page (400) while the client cannot be trusted, else
 * `invalid_request` back to the registered redirect URI (RFC 6749 §4.1.2.1).
 */
describe('U+0000 in query parameters', () => {
  let auth: TestAuth;
  let client: CodeClient;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, EMAIL, PASSWORD, ['reader']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
  });
  after(() => auth.close());

  const good = (): Record<string, string> => ({
    ...validAuthorizeParams(client),
    nonce: 'n-0S6_WzA2Mj',
    prompt: 'consent',
    max_age: '3600',
    login_hint: EMAIL,
    response_mode: 'query',
  });

  /** A signed-in browser: the requests below would otherwise stop at the login page. */
  const signedInBrowser = async () => {
    const browser = new FormBrowser(auth.url);
    await signInAndAllow(browser, { ...good(), prompt: '' }, EMAIL, PASSWORD);
    return browser;
  };

  const assertOnPage = (answer: PageAnswer, what: string) => {
    assert.equal(answer.status, 400, `${what}: ${answer.status} ${answer.html.slice(0, 300)}`);
    assert.equal(answer.location, undefined, `${what}: never redirected`);
    assert.match(answer.html, /<code>invalid_request<\/code>/, what);
    assert.match(answer.html, /U\+0000/, what);
  };

  const assertRedirectedError = (answer: PageAnswer, what: string, state: string | null) => {
    assert.equal(answer.status, 303, `${what}: ${answer.status} ${answer.html.slice(0, 300)}`);
    const back = new URL(answer.location!);
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI, what);
    assert.equal(back.searchParams.get('error'), 'invalid_request', what);
    assert.match(back.searchParams.get('error_description') ?? '', /U\+0000/, what);
    assert.equal(back.searchParams.get('code'), null, what);
    assert.equal(back.searchParams.get('state'), state, what);
  };

  it('/oauth/authorize: client_id and redirect_uri on the error page (400), any other parameter back to the client', async () => {
    const browser = await signedInBrowser();
    for (const name of Object.keys(good())) {
      const query = authorizeQuery({ ...good(), [name]: withNul(good()[name]!) });
      for (const [who, asker] of [
        ['signed in', browser],
        ['anonymous', new FormBrowser(auth.url)],
      ] as const) {
        const answer = await asker.get(query);
        assert.notEqual(answer.status, 500, `${name} (${who})`);
        if (name === 'client_id' || name === 'redirect_uri') assertOnPage(answer, `${name} (${who})`);
        else assertRedirectedError(answer, `${name} (${who})`, name === 'state' ? null : 'xyz');
      }
    }
    // Only the value counts, as for body parameters: an unknown parameter's name is ignored.
    const unknown = await browser.get(`${authorizeQuery(good())}&x%00y=1`);
    assert.equal(unknown.status, 303);
    assert.ok(new URL(unknown.location!).searchParams.get('code'), 'a code');
  });

  it('/oauth/authorize POST: the authorization request a form carries is checked the same way', async () => {
    const browser = new FormBrowser(auth.url);
    const login = await browser.get(authorizeQuery(good()));
    assert.equal(login.status, 200);
    const fields = formFields(login.html);
    const carried = new URLSearchParams(fields.authorization);
    carried.set('nonce', withNul('nonce'));
    const answer = await browser.post('/oauth/authorize', {
      ...fields,
      authorization: carried.toString(),
      email: EMAIL,
      password: PASSWORD,
    });
    assertRedirectedError(answer, 'nonce in the carried request', 'xyz');
  });

  it('/oauth/logout: every parameter, by GET, by the confirmation form and by a direct post: 400', async () => {
    const browser = await signedInBrowser();
    const logoutParams = {
      client_id: client.clientId,
      post_logout_redirect_uri: REDIRECT_URI,
      state: 's1',
      id_token_hint: 'eyJhbGciOiJFZERTQSJ9.e30.c2ln',
    };
    const confirm = await browser.get(`/oauth/logout?client_id=${client.clientId}`);
    assert.equal(confirm.status, 200);
    const { csrf } = formFields(confirm.html);
    for (const name of Object.keys(logoutParams) as (keyof typeof logoutParams)[]) {
      const params = { ...logoutParams, [name]: withNul(logoutParams[name]) };
      if (name !== 'id_token_hint') delete (params as Partial<typeof params>).id_token_hint;
      const query = new URLSearchParams(params).toString();
      assertOnPage(await browser.get(`/oauth/logout?${query}`), `GET ${name}`);
      assertOnPage(await browser.post('/oauth/logout', { csrf: csrf!, logout: query }), `confirmed ${name}`);
      const direct = await browser.post('/oauth/logout', params);
      assert.equal(direct.status, 400, `direct post ${name}`);
      assert.equal(direct.location, undefined);
    }
    // Nothing above signed the browser out.
    const stillIn = await browser.get(authorizeQuery({ ...good(), prompt: 'none' }));
    assert.equal(stillIn.status, 303);
    assert.ok(new URL(stillIn.location!).searchParams.get('code'), 'still signed in');
  });

  it('the service answers normally afterwards', async () => {
    const page = await new FormBrowser(auth.url).get(authorizeQuery(good()));
    assert.equal(page.status, 200);
    assert.match(page.html, /name="password"/);
    const health = await fetch(`${auth.url}/healthz`);
    assert.equal(health.status, 200);
    const logout = await new FormBrowser(auth.url).get(
      `/oauth/logout?${new URLSearchParams({ client_id: client.clientId, post_logout_redirect_uri: REDIRECT_URI })}`,
    );
    assert.equal(logout.status, 200);
    assert.match(logout.html, /Sign out\?/);
  });
});
