import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '@tandem/models';
import {
  createRole,
  createTestClient,
  createUser,
  jwtPayload,
  postForm,
  startTestAuth,
  type TestAuth,
} from './support.js';
import {
  FormBrowser,
  REDIRECT_URI,
  createCodeClient,
  exchange,
  pkcePair,
  signInAndAllow,
  type CodeClient,
} from './code-flow-support.js';

const EMAIL = 'ann@example.com';
const PASSWORD = 'ann password 1234';
const APP_ORIGIN = 'https://app.example';
const GLOBAL_ORIGIN = 'https://dashboard.example';

describe('CORS, userinfo and RP-initiated logout', () => {
  let auth: TestAuth;
  let client: CodeClient;

  before(async () => {
    auth = await startTestAuth({ CORS_ALLOWED_ORIGINS: GLOBAL_ORIGIN });
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, EMAIL, PASSWORD, ['reader']);
    client = await createCodeClient(auth, {
      isPublic: true,
      isFirstParty: true,
      allowedOrigins: [APP_ORIGIN],
    });
    await auth.server.deps.cors.origins.refresh();
  });
  after(() => auth.close());

  const signedIn = async (scope = 'openid email catalog:read') => {
    const browser = new FormBrowser(auth.url);
    const pair = pkcePair();
    const back = await signInAndAllow(
      browser,
      {
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: REDIRECT_URI,
        scope,
        code_challenge: pair.challenge,
        code_challenge_method: 'S256',
      },
      EMAIL,
      PASSWORD,
    );
    const tokens = await exchange(auth, client, back.searchParams.get('code')!, pair.verifier);
    assert.equal(tokens.status, 200, tokens.text);
    return { browser, tokens: tokens.body as Record<string, string> };
  };

  it('preflights of the token endpoint: answered for a client’s origin and the global list, refused otherwise', async () => {
    for (const origin of [APP_ORIGIN, GLOBAL_ORIGIN]) {
      const res = await fetch(`${auth.url}/oauth/token`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type',
        },
      });
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), origin);
      assert.match(String(res.headers.get('access-control-allow-methods')), /POST/);
      assert.equal(res.headers.get('access-control-allow-credentials'), null);
    }
    for (const origin of ['https://evil.example', 'null', `${APP_ORIGIN}.evil.example`]) {
      const res = await fetch(`${auth.url}/oauth/token`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    }
    const wrongMethod = await fetch(`${auth.url}/oauth/token`, {
      method: 'OPTIONS',
      headers: { Origin: APP_ORIGIN, 'Access-Control-Request-Method': 'DELETE' },
    });
    assert.equal(wrongMethod.status, 403);
  });

  it('token answers carry the origin by name for allowed origins only; JWKS and discovery are public (*), the login page has no CORS', async () => {
    const allowed = await postForm(
      `${auth.url}/oauth/token`,
      { grant_type: 'refresh_token', refresh_token: 'x' },
      { Origin: APP_ORIGIN },
    );
    assert.equal(allowed.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.equal(allowed.headers.get('vary'), 'Origin');
    const other = await postForm(
      `${auth.url}/oauth/token`,
      { grant_type: 'refresh_token', refresh_token: 'x' },
      { Origin: 'https://evil.example' },
    );
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const jwks = await fetch(`${auth.url}/.well-known/jwks.json`, {
      headers: { Origin: 'https://anyone.example' },
    });
    assert.equal(jwks.headers.get('access-control-allow-origin'), '*');
    assert.equal(jwks.headers.get('access-control-allow-credentials'), null);
    const login = await fetch(`${auth.url}/oauth/authorize`, { headers: { Origin: APP_ORIGIN } });
    assert.equal(login.headers.get('access-control-allow-origin'), null);
  });

  it('userinfo: claims for an openid token; 401 without or with a bad token, 403 without openid or without a user, 401 once revoked', async () => {
    const { tokens } = await signedIn();
    const ok = await fetch(`${auth.url}/oauth/userinfo`, {
      headers: { Authorization: `Bearer ${tokens.access_token}`, Origin: APP_ORIGIN },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.equal(((await ok.json()) as { email: string }).email, EMAIL);
    const none = await fetch(`${auth.url}/oauth/userinfo`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="tandem"');
    const forged = await fetch(`${auth.url}/oauth/userinfo`, {
      headers: { Authorization: `Bearer ${tokens.access_token}x` },
    });
    assert.equal(forged.status, 401);
    assert.match(String(forged.headers.get('www-authenticate')), /error="invalid_token"/);
    // An ID token is not an access token.
    const idToken = await fetch(`${auth.url}/oauth/userinfo`, {
      headers: { Authorization: `Bearer ${tokens.id_token}` },
    });
    assert.equal(idToken.status, 401);
    const plain = await signedIn('catalog:read');
    const noOpenid = await fetch(`${auth.url}/oauth/userinfo`, {
      headers: { Authorization: `Bearer ${plain.tokens.access_token}` },
    });
    assert.equal(noOpenid.status, 403);
    // A machine client's own token is valid, and has no user: 403, not "invalid or expired", so the
    // client does not throw a good token away.
    const machine = await createTestClient(auth, 'userinfo-bot', ['catalog:read']);
    const granted = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'client_credentials',
      client_id: machine.clientId,
      client_secret: machine.clientSecret,
    });
    assert.equal(granted.status, 200, granted.text);
    const own = await fetch(`${auth.url}/oauth/userinfo`, {
      headers: { Authorization: `Bearer ${String(granted.body.access_token)}` },
    });
    assert.equal(own.status, 403);
    assert.match(String(own.headers.get('www-authenticate')), /error="insufficient_scope"/);
    assert.match(((await own.json()) as { error_description: string }).error_description, /no user/);
    // A session idle past SESSION_IDLE_TTL is over, as the refresh grant judges it: userinfo agrees.
    const idle = await signedIn();
    const idleSid = String(jwtPayload(idle.tokens.access_token!).sid);
    const longAgo = new Date(Date.now() - (auth.server.deps.config.tokens.sessionIdleTtlSeconds + 60) * 1000);
    await auth.db.orm.em.fork().nativeUpdate(Session, { id: idleSid }, { lastUsedAt: longAgo });
    const idleAnswer = await fetch(`${auth.url}/oauth/userinfo`, {
      headers: { Authorization: `Bearer ${idle.tokens.access_token}` },
    });
    assert.equal(idleAnswer.status, 401);
    await postForm(`${auth.url}/oauth/revoke`, { token: tokens.refresh_token!, client_id: client.clientId });
    const revoked = await fetch(`${auth.url}/oauth/userinfo`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(revoked.status, 401);
  });

  it('logout without an ID token hint asks the user (CSRF-protected form); a forged post is refused', async () => {
    const { browser, tokens } = await signedIn();
    const confirm = await browser.get('/oauth/logout');
    assert.equal(confirm.status, 200);
    assert.match(confirm.html, /Sign out\?/);
    const forged = await browser.post('/oauth/logout', { csrf: 'forged', logout: '' });
    assert.equal(forged.status, 403);
    const crossSite = await browser.post(
      '/oauth/logout',
      { csrf: /name="csrf" value="([^"]+)"/.exec(confirm.html)![1]!, logout: '' },
      { 'Sec-Fetch-Site': 'cross-site' },
    );
    assert.equal(crossSite.status, 403);
    const sid = String(jwtPayload(tokens.access_token!).sid);
    assert.equal(
      (await auth.db.orm.em.fork().findOneOrFail(Session, { id: sid })).revokedAt,
      null,
      'still signed in',
    );
    const done = await browser.post('/oauth/logout', {
      csrf: /name="csrf" value="([^"]+)"/.exec(confirm.html)![1]!,
      logout: '',
    });
    assert.equal(done.status, 200);
    assert.match(done.html, /You are signed out/);
    const session = await auth.db.orm.em.fork().findOneOrFail(Session, { id: sid });
    assert.equal(session.revokedReason, 'logout');
  });

  it('logout with an ID token hint: ends the session, returns only to a registered URI with state', async () => {
    const { browser, tokens } = await signedIn();
    const evil = await browser.get(
      `/oauth/logout?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example/' })}`,
    );
    assert.equal(evil.status, 400);
    assert.equal(evil.location, undefined);
    const forgedHint = await browser.get(`/oauth/logout?id_token_hint=${tokens.id_token!.slice(0, -4)}AAAA`);
    assert.equal(forgedHint.status, 400);
    // A state too long to echo is refused, as at /oauth/authorize, not cut to a value the client never sent.
    const longState = await browser.get(
      `/oauth/logout?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: REDIRECT_URI, state: 's'.repeat(2049) })}`,
    );
    assert.equal(longState.status, 400);
    assert.equal(longState.location, undefined);
    assert.match(longState.html, /state/);
    const done = await browser.get(
      `/oauth/logout?${new URLSearchParams({ id_token_hint: tokens.id_token!, post_logout_redirect_uri: REDIRECT_URI, state: 's1' })}`,
    );
    assert.equal(done.status, 303);
    assert.equal(done.location, `${REDIRECT_URI}?state=s1`);
    assert.match(String(done.headers.get('set-cookie')), /tandem_login=; .*Max-Age=0/);
    const refresh = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: client.clientId,
    });
    assert.equal(refresh.body.error, 'invalid_grant');
  });
});
