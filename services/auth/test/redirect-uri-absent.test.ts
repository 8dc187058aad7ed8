/**
 * `authorization_codes.redirect_uri` is '' for a request that had no redirect_uri, and '' can mean
 * nothing else: an empty parameter counts as absent at the authorization endpoint and at the token
 * endpoint alike (RFC 6749 §3.1), and a client cannot register '' (redirect URIs are absolute). Tried
 * as an attacker would: an empty redirect_uri at the authorization request of a client with one URI
 * (stored as absent, so the exchange may leave it out, and must not send another URI) and of a client
 * with two (refused on the page, never redirected, no code stored), and registering ''. Real auth
 * service and database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { AuthorizationCode, validateClient } from '@tandem/models';
import { hashCode } from '../src/authorize/grant.js';
import { createRole, createUser, postRaw, startTestAuth, type TestAuth } from './support.js';
import {
  FormBrowser,
  REDIRECT_URI,
  authorizeQuery,
  createCodeClient,
  exchange,
  pkcePair,
  signInAndAllow,
  type CodeClient,
} from './code-flow-support.js';

const EMAIL = 'absent@example.com';
const PASSWORD = 'correct horse battery staple';
const OTHER_URI = 'https://app.example/other';

describe(`an absent redirect_uri is stored as '' and '' means nothing else (${testDialect()})`, () => {
  let auth: TestAuth;
  let oneUri: CodeClient;
  let twoUris: CodeClient;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, EMAIL, PASSWORD, ['reader']);
    oneUri = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    twoUris = await createCodeClient(auth, {
      isPublic: true,
      isFirstParty: true,
      redirectUris: [REDIRECT_URI, OTHER_URI],
    });
  });
  after(() => auth.close());

  const query = (client: CodeClient, challenge: string) => ({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: '',
    scope: 'openid',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const storedRedirectUri = async (code: string) =>
    (await auth.db.orm.em.fork().findOneOrFail(AuthorizationCode, { codeHash: hashCode(code) })).redirectUri;
  const bareExchange = (client: CodeClient, code: string, verifier: string) =>
    postRaw(
      `${auth.url}/oauth/token`,
      new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: client.clientId,
      }).toString(),
      'application/x-www-form-urlencoded',
    );

  it("an empty redirect_uri at the request is an absent one: stored as '', exchanged without it", async () => {
    const { verifier, challenge } = pkcePair();
    const back = await signInAndAllow(new FormBrowser(auth.url), query(oneUri, challenge), EMAIL, PASSWORD);
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI, 'sent to the only registered URI');
    const code = back.searchParams.get('code')!;
    assert.equal(await storedRedirectUri(code), '');
    assert.equal((await bareExchange(oneUri, code, verifier)).status, 200);
  });

  it('such a code is refused with any other redirect_uri, and an empty one at the exchange is absent too', async () => {
    const first = pkcePair();
    const back = await signInAndAllow(
      new FormBrowser(auth.url),
      query(oneUri, first.challenge),
      EMAIL,
      PASSWORD,
    );
    const wrong = await exchange(auth, oneUri, back.searchParams.get('code')!, first.verifier, {
      redirect_uri: OTHER_URI,
    });
    assert.equal(wrong.body.error, 'invalid_grant');
    const second = pkcePair();
    const again = await signInAndAllow(
      new FormBrowser(auth.url),
      query(oneUri, second.challenge),
      EMAIL,
      PASSWORD,
    );
    const empty = await exchange(auth, oneUri, again.searchParams.get('code')!, second.verifier, {
      redirect_uri: '',
    });
    assert.equal(empty.status, 200, empty.text);
  });

  it('a client with two URIs: an empty redirect_uri is refused on the page, nothing is stored', async () => {
    const browser = new FormBrowser(auth.url);
    const page = await browser.get(authorizeQuery(query(twoUris, pkcePair().challenge)));
    assert.equal(page.status, 400);
    assert.equal(page.location, undefined, 'never redirected');
    assert.match(page.html, /redirect_uri/);
    assert.equal(await auth.db.orm.em.fork().count(AuthorizationCode, { client: twoUris.id }), 0);
  });

  it("'' cannot be registered as a redirect URI", () => {
    for (const redirectUris of [[''], [REDIRECT_URI, '']])
      assert.throws(() =>
        validateClient({
          name: 'x',
          clientId: 'client-with-empty-uri',
          scopes: [],
          redirectUris,
          grantTypes: ['authorization_code'],
        }),
      );
  });
});
