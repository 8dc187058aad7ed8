/**
 * A browser holds one live sign-in; signing in again replaces it. Logout finds the token sessions to
 * revoke through the live sign-in's codes, so a replaced sign-in's sessions used to outlive the
 * browser's logout: App X's refresh token, from before a prompt=login or max_age step-up for App Y,
 * kept working for its whole lifetime after the user signed out. Now the same person's sessions move
 * to the new sign-in, and another person signing in on the browser signs the previous one out.
 * Real auth service and database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '@tandem/models';
import { createRole, createUser, jwtPayload, postForm, startTestAuth, type TestAuth } from './support.js';
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

const ANN = { email: 'ann@example.com', password: 'correct horse battery ann' };
const BEN = { email: 'ben@example.com', password: 'correct horse battery ben' };

describe('a sign-in replaced by another in the same browser', () => {
  let auth: TestAuth;
  let appX: CodeClient;
  let appY: CodeClient;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, ANN.email, ANN.password, ['reader']);
    await createUser(auth, BEN.email, BEN.password, ['reader']);
    appX = await createCodeClient(auth, { isFirstParty: true });
    appY = await createCodeClient(auth, { isFirstParty: true });
  });
  after(() => auth.close());

  const query = (client: CodeClient, challenge: string, extra: Record<string, string>) => ({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid catalog:read',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });

  /** `who` signs in (if asked) in `browser` for `client`; the tokens the client gets for the code. */
  async function tokensFor(
    browser: FormBrowser,
    client: CodeClient,
    who: typeof ANN,
    extra: Record<string, string> = {},
  ): Promise<Record<string, string>> {
    const pair = pkcePair();
    const back = await signInAndAllow(browser, query(client, pair.challenge, extra), who.email, who.password);
    const tokens = await exchange(auth, client, back.searchParams.get('code')!, pair.verifier);
    assert.equal(tokens.status, 200, tokens.text);
    return tokens.body as Record<string, string>;
  }

  const refresh = (client: CodeClient, tokens: Record<string, string>) =>
    postForm(`${auth.url}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: client.clientId,
      client_secret: client.clientSecret!,
    });

  const revokedReason = async (tokens: Record<string, string>): Promise<string | null> => {
    const sid = String(jwtPayload(tokens.access_token!).sid);
    return (await auth.db.orm.em.fork().findOneOrFail(Session, { id: sid })).revokedReason ?? null;
  };

  const logout = async (browser: FormBrowser, hint: Record<string, string>) => {
    const out = await browser.get(`/oauth/logout?${new URLSearchParams({ id_token_hint: hint.id_token! })}`);
    assert.equal(out.status, 200, out.html.slice(0, 300));
    assert.match(out.html, /You are signed out/);
  };

  for (const [name, stepUp] of [
    ['prompt=login', { prompt: 'login' }],
    ['max_age=0', { max_age: '0' }],
  ] as const) {
    it(`the same person signing in again (${name}): logout still ends the earlier sign-in's sessions`, async () => {
      const browser = new FormBrowser(auth.url);
      const x = await tokensFor(browser, appX, ANN);
      // A code App X got before the step-up, exchanged after it.
      const pending = pkcePair();
      const early = await signInAndAllow(
        browser,
        query(appX, pending.challenge, {}),
        ANN.email,
        ANN.password,
      );
      const y = await tokensFor(browser, appY, ANN, stepUp);
      const late = await exchange(auth, appX, early.searchParams.get('code')!, pending.verifier);
      assert.equal(late.status, 200, late.text);
      // Before logout, the step-up revoked nothing.
      const renewed = await refresh(appX, x);
      assert.equal(renewed.status, 200, renewed.text);

      await logout(browser, y);
      for (const [client, tokens] of [
        [appY, y],
        [appX, late.body as Record<string, string>],
        [appX, renewed.body as Record<string, string>],
      ] as const) {
        assert.equal((await refresh(client, tokens)).body.error, 'invalid_grant');
        assert.equal(await revokedReason(tokens), 'logout');
      }
      const userinfo = await fetch(`${auth.url}/oauth/userinfo`, {
        headers: { authorization: `Bearer ${x.access_token}` },
      });
      assert.equal(userinfo.status, 401);
    });
  }

  it("another person signing in on the browser signs the previous one out, tokens included; not the new one's", async () => {
    const browser = new FormBrowser(auth.url);
    const ann = await tokensFor(browser, appX, ANN);
    // Ann's sign-in elsewhere is hers, not this browser's: it stays.
    const annElsewhere = await tokensFor(new FormBrowser(auth.url), appX, ANN);
    const ben = await tokensFor(browser, appY, BEN, { prompt: 'login' });
    assert.equal(jwtPayload(ben.id_token!).sub, jwtPayload(ben.access_token!).sub);
    assert.notEqual(jwtPayload(ben.access_token!).sub, jwtPayload(ann.access_token!).sub);
    assert.equal((await refresh(appX, ann)).body.error, 'invalid_grant');
    assert.equal(await revokedReason(ann), 'logout');
    assert.equal((await refresh(appY, ben)).status, 200);
    assert.equal((await refresh(appX, annElsewhere)).status, 200);
    // The browser now answers for Ben: prompt=none gets a code for him without asking.
    const silent = await browser.get(authorizeQuery(query(appY, pkcePair().challenge, { prompt: 'none' })));
    assert.equal(silent.status, 303);
    assert.ok(new URL(silent.location!).searchParams.has('code'), silent.location);
  });
});
