import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '@tandem/models';
import type { IdTokenClaims } from '@tandem/tokens';
import {
  createRole,
  createUser,
  jwtPayload,
  postForm,
  setClientActive,
  startTestAuth,
  type JsonResponse,
  type TestAuth,
} from './support.js';
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

const ALICE = { email: 'alice@example.com', password: 'alice password 1234' };
const BOB = { email: 'bob@example.com', password: 'bob password 12345' };
const GONE_URI = 'https://gone.example/after-logout';

/**
 * RP-initiated logout with an ID token hint of another sign-in (OpenID Connect RP-Initiated Logout
 * 1.0 §2). Any ID token this server issued verifies, so Bob can get one for himself and make Alice's
 * browser open /oauth/logout with it: that must show the confirmation page, never end Alice's
 * sign-in or revoke her tokens on its own.
 */
describe('logout with an ID token hint of another user', () => {
  let auth: TestAuth;
  let client: CodeClient;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, ALICE.email, ALICE.password, ['reader']);
    await createUser(auth, BOB.email, BOB.password, ['reader']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
  });
  after(() => auth.close());

  /** A browser signed in through the code flow, and the tokens the client got. */
  const signedIn = async (who: { email: string; password: string }, browser = new FormBrowser(auth.url)) => {
    const pair = pkcePair();
    const back = await signInAndAllow(
      browser,
      {
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: REDIRECT_URI,
        scope: 'openid catalog:read',
        code_challenge: pair.challenge,
        code_challenge_method: 'S256',
      },
      who.email,
      who.password,
    );
    const tokens = await exchange(auth, client, back.searchParams.get('code')!, pair.verifier);
    assert.equal(tokens.status, 200, tokens.text);
    return { browser, tokens: tokens.body as Record<string, string> };
  };

  const refresh = (refreshToken: string): Promise<JsonResponse> =>
    postForm(`${auth.url}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: client.clientId,
    });

  /** Whether the browser's sign-in is live: prompt=none gets a code only then. */
  const stillSignedIn = async (browser: FormBrowser): Promise<boolean> => {
    const answer = await browser.get(
      authorizeQuery({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: REDIRECT_URI,
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
        prompt: 'none',
      }),
    );
    assert.equal(answer.status, 303, answer.html.slice(0, 300));
    return new URL(answer.location!).searchParams.has('code');
  };

  const sessionRevoked = async (accessToken: string): Promise<boolean> => {
    const sid = String(jwtPayload(accessToken).sid);
    return (await auth.db.orm.em.fork().findOneOrFail(Session, { id: sid })).revokedAt !== null;
  };

  const assertConfirmationPage = (answer: { status: number; html: string; location: string | undefined }) => {
    assert.equal(answer.status, 200, answer.html.slice(0, 300));
    assert.equal(answer.location, undefined, 'not redirected');
    assert.match(answer.html, /Sign out\?/);
    assert.match(answer.html, /<form method="post" action="\/oauth\/logout">/);
    assert.match(answer.html, /name="csrf" value="[^"]+"/);
  };

  it("Bob's ID token as the hint in Alice's browser: the confirmation page; Alice stays signed in", async () => {
    const alice = await signedIn(ALICE);
    const bob = await signedIn(BOB);
    const bobHint = bob.tokens.id_token!;
    const expiredBobHint = auth.server.deps.idTokens.sign({
      ...(jwtPayload(bobHint) as unknown as IdTokenClaims),
      iat: Math.floor(Date.now() / 1000) - 7200,
      exp: Math.floor(Date.now() / 1000) - 3600,
    });
    for (const hint of [bobHint, expiredBobHint]) {
      for (const query of [
        { id_token_hint: hint } as Record<string, string>,
        { id_token_hint: hint, post_logout_redirect_uri: REDIRECT_URI, state: 's1' },
      ]) {
        const answer = await alice.browser.get(`/oauth/logout?${new URLSearchParams(query)}`, {
          'Sec-Fetch-Site': 'cross-site',
        });
        assertConfirmationPage(answer);
        assert.doesNotMatch(String(answer.headers.get('set-cookie')), /tandem_login=;/);
      }
    }
    assert.equal(await stillSignedIn(alice.browser), true, "Alice's sign-in still works");
    assert.equal(await sessionRevoked(alice.tokens.access_token!), false);
    const renewed = await refresh(alice.tokens.refresh_token!);
    assert.equal(renewed.status, 200, renewed.text);

    // Alice herself confirming on the page signs her out (the page is the usual CSRF-checked form).
    const page = await alice.browser.get(`/oauth/logout?${new URLSearchParams({ id_token_hint: bobHint })}`);
    const done = await alice.browser.post('/oauth/logout', formFields(page.html));
    assert.equal(done.status, 200, done.html.slice(0, 300));
    assert.match(done.html, /You are signed out/);
    assert.equal(await sessionRevoked(alice.tokens.access_token!), true);
  });

  it("Alice's own ID token of another sign-in (another sid): the confirmation page", async () => {
    const first = await signedIn(ALICE);
    const elsewhere = await signedIn(ALICE);
    const answer = await first.browser.get(
      `/oauth/logout?${new URLSearchParams({ id_token_hint: elsewhere.tokens.id_token! })}`,
    );
    assertConfirmationPage(answer);
    assert.equal(await stillSignedIn(first.browser), true);
    assert.equal(await sessionRevoked(first.tokens.access_token!), false);
  });

  it("Alice's own hint: signed out without asking, her token sessions revoked (as before)", async () => {
    const alice = await signedIn(ALICE);
    const done = await alice.browser.get(
      `/oauth/logout?${new URLSearchParams({ id_token_hint: alice.tokens.id_token!, post_logout_redirect_uri: REDIRECT_URI, state: 's2' })}`,
    );
    assert.equal(done.status, 303, done.html.slice(0, 300));
    assert.equal(done.location, `${REDIRECT_URI}?state=s2`);
    assert.match(String(done.headers.get('set-cookie')), /tandem_login=; .*Max-Age=0/);
    assert.equal((await refresh(alice.tokens.refresh_token!)).body.error, 'invalid_grant');
    assert.equal(await sessionRevoked(alice.tokens.access_token!), true);
  });

  it('a leaked hint ends nothing: in a browser with no sign-in, nor confirmed in another', async () => {
    // ID tokens travel in logout URLs (histories, proxy logs, Referer): holding Bob's must not let
    // anyone end his session, by a cross-site image or by confirming the page in their own browser.
    const bob = await signedIn(BOB);
    const hint = new URLSearchParams({ id_token_hint: bob.tokens.id_token! });
    const bare = await new FormBrowser(auth.url).get(`/oauth/logout?${hint}`, {
      'Sec-Fetch-Site': 'cross-site',
    });
    assert.equal(bare.status, 200, bare.html.slice(0, 300));
    assert.match(bare.html, /You are signed out/);
    assert.equal(await sessionRevoked(bob.tokens.access_token!), false);
    const mallory = await signedIn(ALICE);
    const page = await mallory.browser.get(`/oauth/logout?${hint}`);
    const confirmed = await mallory.browser.post('/oauth/logout', formFields(page.html));
    assert.match(confirmed.html, /You are signed out/);
    assert.equal(await sessionRevoked(mallory.tokens.access_token!), true, 'the confirming browser’s own');
    assert.equal(await sessionRevoked(bob.tokens.access_token!), false, 'not the hint’s');
    assert.equal((await refresh(bob.tokens.refresh_token!)).status, 200);
  });

  it("a deactivated client's post_logout_redirect_uri is refused like an unknown client's", async () => {
    const gone = await createCodeClient(auth, {
      isPublic: true,
      isFirstParty: true,
      redirectUris: [GONE_URI],
    });
    const alice = await signedIn(ALICE);
    const query = new URLSearchParams({
      client_id: gone.clientId,
      post_logout_redirect_uri: GONE_URI,
      state: 's3',
    }).toString();
    // Registered and active: the confirmation page, whose form returns there.
    const asked = await alice.browser.get(`/oauth/logout?${query}`);
    assertConfirmationPage(asked);
    await setClientActive(auth, gone.clientId, false);
    const refused = await alice.browser.get(`/oauth/logout?${query}`);
    assert.equal(refused.status, 400, refused.html.slice(0, 300));
    assert.equal(refused.location, undefined);
    assert.match(refused.html, /<code>invalid_request<\/code>/);
    // The confirmation form shown before the deactivation does not return there either.
    const confirmed = await alice.browser.post('/oauth/logout', formFields(asked.html));
    assert.equal(confirmed.status, 400, confirmed.html.slice(0, 300));
    assert.equal(confirmed.location, undefined);
    // Nor does a client's direct post of the parameters.
    const posted = await alice.browser.post('/oauth/logout', Object.fromEntries(new URLSearchParams(query)));
    assert.equal(posted.status, 400, posted.html.slice(0, 300));
    assert.equal(posted.location, undefined);
    assert.equal(await stillSignedIn(alice.browser), true, 'a refused logout ends nothing');
  });
});
