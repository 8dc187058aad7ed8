import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { Session } from '@tandem/models';
import { leftHalfHash, revokeUserSessions } from '@tandem/tokens';
import { createRole, createUser, getJson, postForm, startTestAuth, type TestAuth } from './support.js';
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

const EMAIL = 'reader@example.com';
const PASSWORD = 'correct horse battery staple';

describe('authorization code flow with PKCE (HTTP level)', () => {
  let auth: TestAuth;
  let publicClient: CodeClient;
  let confidential: CodeClient;
  let firstParty: CodeClient;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, EMAIL, PASSWORD, ['reader']);
    publicClient = await createCodeClient(auth, { isPublic: true });
    confidential = await createCodeClient(auth);
    firstParty = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
  });
  after(() => auth.close());

  const request = (client: CodeClient, challenge: string, extra: Record<string, string> = {}) => ({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid email catalog:read',
    state: 'st-123',
    nonce: 'n-456',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });

  it('a public client gets a code with state and iss, then tokens and a verifiable ID token', async () => {
    const browser = new FormBrowser(auth.url);
    const { verifier, challenge } = pkcePair();
    const back = await signInAndAllow(browser, request(publicClient, challenge), EMAIL, PASSWORD);
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI);
    assert.equal(back.searchParams.get('state'), 'st-123');
    assert.equal(back.searchParams.get('iss'), auth.server.issuer);
    const tokens = await exchange(auth, publicClient, back.searchParams.get('code')!, verifier);
    assert.equal(tokens.status, 200, tokens.text);
    assert.equal(tokens.body.scope, 'openid email catalog:read');
    assert.equal(typeof tokens.body.refresh_token, 'string');
    const jwks = createLocalJWKSet((await getJson(`${auth.url}/.well-known/jwks.json`)).body as never);
    const { payload, protectedHeader } = await jwtVerify(String(tokens.body.id_token), jwks, {
      issuer: auth.server.issuer,
      audience: publicClient.clientId,
    });
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal(payload.nonce, 'n-456');
    assert.deepEqual(payload.amr, ['pwd']);
    assert.equal(typeof payload.auth_time, 'number');
    assert.equal(payload.email, EMAIL);
    assert.equal(payload.at_hash, leftHalfHash(String(tokens.body.access_token)));
    const access = await jwtVerify(String(tokens.body.access_token), jwks, { audience: 'tandem' });
    assert.equal(access.payload.sub, payload.sub);

    const info = await fetch(`${auth.url}/oauth/userinfo`, {
      headers: { Authorization: `Bearer ${String(tokens.body.access_token)}` },
    });
    assert.deepEqual(await info.json(), { sub: payload.sub, email: EMAIL, email_verified: false });

    // The refresh token works for its client (a public one names itself), keeping the identity scopes.
    const refreshed = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: String(tokens.body.refresh_token),
      client_id: publicClient.clientId,
    });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(refreshed.body.scope, 'openid email catalog:read');
  });

  it('consent is asked once per client and remembered; a signed-in user is not asked to sign in again', async () => {
    const browser = new FormBrowser(auth.url);
    const first = pkcePair();
    const login = await browser.get(authorizeQuery(request(confidential, first.challenge)));
    assert.match(login.html, /name="password"/);
    const consent = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email: EMAIL,
      password: PASSWORD,
    });
    assert.equal(consent.status, 200);
    assert.match(consent.html, /Allow access\?/);
    const allowed = await browser.post('/oauth/authorize', {
      ...formFields(consent.html),
      decision: 'allow',
    });
    assert.equal(allowed.status, 303);
    const code = new URL(allowed.location!).searchParams.get('code')!;
    const tokens = await exchange(auth, confidential, code, first.verifier);
    assert.equal(tokens.status, 200, tokens.text);

    // Same client, same scopes: straight back with a code (no login page, no consent page).
    const again = await browser.get(authorizeQuery(request(confidential, pkcePair().challenge)));
    assert.equal(again.status, 303);
    assert.ok(new URL(again.location!).searchParams.get('code'));
  });

  it('a denied consent sends access_denied with the state, and no code', async () => {
    const browser = new FormBrowser(auth.url);
    const other = await createCodeClient(auth);
    const login = await browser.get(authorizeQuery(request(other, pkcePair().challenge)));
    const consent = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email: EMAIL,
      password: PASSWORD,
    });
    const denied = await browser.post('/oauth/authorize', { ...formFields(consent.html), decision: 'deny' });
    const back = new URL(denied.location!);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), 'st-123');
    assert.equal(back.searchParams.get('code'), null);
  });

  it('a first-party client never shows the consent page', async () => {
    const browser = new FormBrowser(auth.url);
    const login = await browser.get(authorizeQuery(request(firstParty, pkcePair().challenge)));
    const done = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email: EMAIL,
      password: PASSWORD,
    });
    assert.equal(done.status, 303, done.html);
    assert.ok(new URL(done.location!).searchParams.get('code'));
  });

  it('a confidential client must authenticate at the exchange (a wrong or missing secret does not spend the code)', async () => {
    const browser = new FormBrowser(auth.url);
    const pair = pkcePair();
    const back = await signInAndAllow(browser, request(confidential, pair.challenge), EMAIL, PASSWORD);
    const code = back.searchParams.get('code')!;
    const unauthenticated = await exchange(
      auth,
      { ...confidential, clientSecret: undefined },
      code,
      pair.verifier,
    );
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.body.error, 'invalid_client');
    const wrongSecret = await exchange(
      auth,
      { ...confidential, clientSecret: 'x'.repeat(43) },
      code,
      pair.verifier,
    );
    assert.equal(wrongSecret.body.error, 'invalid_client');
    // The code was not spent by those: the real client still gets its tokens.
    assert.equal((await exchange(auth, confidential, code, pair.verifier)).status, 200);
  });

  it('a wrong PKCE verifier is invalid_grant and burns the code', async () => {
    const browser = new FormBrowser(auth.url);
    const pair = pkcePair();
    const back = await signInAndAllow(browser, request(publicClient, pair.challenge), EMAIL, PASSWORD);
    const code = back.searchParams.get('code')!;
    const wrong = await exchange(auth, publicClient, code, pkcePair().verifier);
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
    assert.match(String(wrong.body.error_description), /code_verifier/);
    const late = await exchange(auth, publicClient, code, pair.verifier);
    assert.equal(late.body.error, 'invalid_grant');
    const missing = await exchange(auth, publicClient, code, '');
    assert.equal(missing.body.error, 'invalid_request');
  });

  it('a redirect_uri differing from the request is invalid_grant', async () => {
    const browser = new FormBrowser(auth.url);
    const pair = pkcePair();
    const back = await signInAndAllow(browser, request(publicClient, pair.challenge), EMAIL, PASSWORD);
    const answer = await exchange(auth, publicClient, back.searchParams.get('code')!, pair.verifier, {
      redirect_uri: 'https://app.example/callback/',
    });
    assert.equal(answer.body.error, 'invalid_grant');
  });

  it('a reused code is refused and revokes the session its first exchange started', async () => {
    const browser = new FormBrowser(auth.url);
    const pair = pkcePair();
    const back = await signInAndAllow(browser, request(publicClient, pair.challenge), EMAIL, PASSWORD);
    const code = back.searchParams.get('code')!;
    const first = await exchange(auth, publicClient, code, pair.verifier);
    assert.equal(first.status, 200);
    const second = await exchange(auth, publicClient, code, pair.verifier);
    assert.equal(second.body.error, 'invalid_grant');
    const sid = String(
      JSON.parse(Buffer.from(String(first.body.access_token).split('.')[1]!, 'base64url').toString()).sid,
    );
    const session = await auth.db.orm.em.fork().findOneOrFail(Session, { id: sid });
    assert.ok(session.revokedAt, 'the first exchange’s session is revoked');
    assert.equal(session.revokedReason, 'code_reuse');
    const refresh = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: String(first.body.refresh_token),
      client_id: publicClient.clientId,
    });
    assert.equal(refresh.body.error, 'invalid_grant');
  });

  it('parallel exchanges of one code: exactly one gets tokens', async () => {
    const browser = new FormBrowser(auth.url);
    const pair = pkcePair();
    const back = await signInAndAllow(browser, request(publicClient, pair.challenge), EMAIL, PASSWORD);
    const code = back.searchParams.get('code')!;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => exchange(auth, publicClient, code, pair.verifier)),
    );
    assert.equal(answers.filter((answer) => answer.status === 200).length, 1);
  });

  it('prompt=none without a sign-in answers login_required to the redirect URI', async () => {
    const browser = new FormBrowser(auth.url);
    const answer = await browser.get(
      authorizeQuery(request(publicClient, pkcePair().challenge, { prompt: 'none' })),
    );
    assert.equal(answer.status, 303);
    const back = new URL(answer.location!);
    assert.equal(back.searchParams.get('error'), 'login_required');
    assert.equal(back.searchParams.get('state'), 'st-123');
  });

  it('prompt=login and an exceeded max_age show the login page to a signed-in user', async () => {
    const browser = new FormBrowser(auth.url);
    await signInAndAllow(browser, request(firstParty, pkcePair().challenge), EMAIL, PASSWORD);
    const silent = await browser.get(
      authorizeQuery(request(firstParty, pkcePair().challenge, { prompt: 'none' })),
    );
    assert.ok(new URL(silent.location!).searchParams.get('code'), 'signed in: prompt=none gets a code');
    const forced = await browser.get(
      authorizeQuery(request(firstParty, pkcePair().challenge, { prompt: 'login' })),
    );
    assert.equal(forced.status, 200);
    assert.match(forced.html, /name="password"/);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const old = await browser.get(
      authorizeQuery(request(firstParty, pkcePair().challenge, { max_age: '0' })),
    );
    assert.match(old.html, /name="password"/);
  });

  it('a password change (or deactivation) ends the browser sign-in: no more codes without signing in again', async () => {
    const browser = new FormBrowser(auth.url);
    await signInAndAllow(browser, request(firstParty, pkcePair().challenge), EMAIL, PASSWORD);
    const before = await browser.get(
      authorizeQuery(request(firstParty, pkcePair().challenge, { prompt: 'none' })),
    );
    assert.ok(new URL(before.location!).searchParams.get('code'));
    const em = auth.db.orm.em.fork();
    const [user] = await em
      .getConnection()
      .execute<{ id: number }[]>('select id from users where email = ?', [EMAIL]);
    await em.transactional((tx) => revokeUserSessions(tx, Number(user!.id), 'password_changed'));
    const after = await browser.get(
      authorizeQuery(request(firstParty, pkcePair().challenge, { prompt: 'none' })),
    );
    assert.equal(new URL(after.location!).searchParams.get('error'), 'login_required');
  });

  it('a wrong password and an unknown email get the same page', async () => {
    const browser = new FormBrowser(auth.url);
    const login = await browser.get(authorizeQuery(request(publicClient, pkcePair().challenge)));
    const wrong = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email: EMAIL,
      password: 'nope-nope-nope',
    });
    const unknown = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email: 'nobody@example.com',
      password: 'nope-nope-nope',
    });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    const strip = (html: string) => html.replace(/value="[^"]*"/g, '');
    assert.equal(strip(wrong.html), strip(unknown.html));
    assert.match(wrong.html, /Invalid email or password\./);
  });
});
