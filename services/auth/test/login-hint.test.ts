/**
 * login_hint (OpenID Connect Core §3.1.2.1) read as an attacker would: under prompt=none a browser
 * signed in as another account gets login_required, never a code for the wrong account; on the
 * interactive page the hinted account is asked to sign in, with its email filled in (escaped). The
 * hint is only compared with the browser's own sign-in, so it tells nothing about other accounts.
 * Real auth service and database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationCode } from '@tandem/models';
import { createRole, createUser, jwtPayload, startTestAuth, type TestAuth } from './support.js';
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

const ANN = 'ann@example.com';
const BOB = 'bob@example.com';
const PASSWORD = 'correct horse battery staple';

describe('login_hint on the authorization page', () => {
  let auth: TestAuth;
  let client: CodeClient;
  let annId: number;
  let bobId: number;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    annId = await createUser(auth, ANN, PASSWORD, ['reader']);
    bobId = await createUser(auth, BOB, PASSWORD, ['reader']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
  });
  after(() => auth.close());

  const request = (extra: Record<string, string> = {}, challenge = pkcePair().challenge) => ({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid catalog:read',
    state: 'st-hint',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  /** A browser signed in as `email`. */
  const signedInAs = async (email: string) => {
    const browser = new FormBrowser(auth.url);
    await signInAndAllow(browser, request(), email, PASSWORD);
    return browser;
  };
  const codes = () => auth.db.orm.em.fork().count(AuthorizationCode, {});
  const silently = async (browser: FormBrowser, hint: string) => {
    const answer = await browser.get(authorizeQuery(request({ prompt: 'none', login_hint: hint })));
    assert.equal(answer.status, 303, answer.html.slice(0, 300));
    const back = new URL(answer.location!);
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI);
    assert.equal(back.searchParams.get('state'), 'st-hint');
    return back;
  };

  it('prompt=none with a hint naming another account: login_required, and no code is issued', async () => {
    const browser = await signedInAs(ANN);
    const before = await codes();
    for (const hint of [BOB, String(bobId), 'nobody@example.com', 'ann@example.com.evil', 'ann']) {
      const back = await silently(browser, hint);
      assert.equal(back.searchParams.get('error'), 'login_required', hint);
      assert.equal(back.searchParams.get('code'), null, hint);
    }
    assert.equal(await codes(), before, 'no code row for the signed-in account either');
  });

  it('prompt=none with a hint naming the signed-in account (email in any case, or its sub): a code for it', async () => {
    const browser = await signedInAs(ANN);
    for (const hint of [ANN, 'ANN@Example.COM', ` ${ANN} `, String(annId)]) {
      const { verifier, challenge } = pkcePair();
      const answer = await browser.get(
        authorizeQuery(request({ prompt: 'none', login_hint: hint }, challenge)),
      );
      const code = new URL(answer.location!).searchParams.get('code');
      assert.ok(code, `${hint}: ${answer.location}`);
      const tokens = await exchange(auth, client, code, verifier);
      assert.equal(tokens.status, 200, tokens.text);
      assert.equal(jwtPayload(String(tokens.body.id_token)).sub, String(annId));
    }
  });

  it('one answer for an unknown account, an existing other account and no sign-in at all (nothing leaks)', async () => {
    const browser = await signedInAs(ANN);
    const answers = [
      (await silently(browser, BOB)).href,
      (await silently(browser, 'nobody-at-all@example.com')).href,
      (await silently(new FormBrowser(auth.url), BOB)).href,
      (await silently(new FormBrowser(auth.url), ANN)).href,
    ];
    assert.equal(new Set(answers).size, 1, answers.join('\n'));
  });

  it('interactive: signed in as another account, the hinted one is asked to sign in (email filled in), then gets its code', async () => {
    const browser = await signedInAs(ANN);
    const { verifier, challenge } = pkcePair();
    const login = await browser.get(authorizeQuery(request({ login_hint: BOB }, challenge)));
    assert.equal(login.status, 200);
    assert.match(login.html, /name="password"/);
    assert.match(login.html, /<input id="email" name="email" type="email"[^>]* value="bob@example\.com"/);
    const done = await browser.post('/oauth/authorize', {
      ...formFields(login.html),
      email: BOB,
      password: PASSWORD,
    });
    assert.equal(done.status, 303, done.html.slice(0, 300));
    const tokens = await exchange(auth, client, new URL(done.location!).searchParams.get('code')!, verifier);
    assert.equal(jwtPayload(String(tokens.body.id_token)).sub, String(bobId));
    // The person at the page chooses: signing in as someone else than the hint is their call.
    const chosen = await browser.get(authorizeQuery(request({ login_hint: ANN })));
    const other = await browser.post('/oauth/authorize', {
      ...formFields(chosen.html),
      email: BOB,
      password: PASSWORD,
    });
    assert.equal(other.status, 303);
    assert.ok(new URL(other.location!).searchParams.get('code'));
  });

  it('interactive with a matching hint: no login page', async () => {
    const browser = await signedInAs(ANN);
    const answer = await browser.get(authorizeQuery(request({ login_hint: 'Ann@example.com' })));
    assert.equal(answer.status, 303);
    assert.ok(new URL(answer.location!).searchParams.get('code'));
  });

  it('the hint is escaped in the email field; a sub hint fills in nothing', async () => {
    const browser = new FormBrowser(auth.url);
    const hostile = `"><script>alert(1)</script>'@x.example`;
    const page = await browser.get(authorizeQuery(request({ login_hint: hostile })));
    assert.equal(page.status, 200);
    assert.ok(!page.html.includes('<script>'), 'no markup from the hint');
    assert.match(page.html, /value="&#34;&#62;&#60;script&#62;alert\(1\)&#60;\/script&#62;&#39;@x\.example"/);
    const bySub = await browser.get(authorizeQuery(request({ login_hint: String(bobId) })));
    assert.match(bySub.html, /<input id="email" name="email" type="email"[^>]* value=""/);
  });

  it('an over-long or repeated login_hint is invalid_request at the redirect URI', async () => {
    const browser = new FormBrowser(auth.url);
    const long = await browser.get(authorizeQuery(request({ login_hint: `${'a'.repeat(250)}@x.example` })));
    const back = new URL(long.location!);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.match(back.searchParams.get('error_description')!, /login_hint/);
    const repeated = await browser.get(
      `${authorizeQuery(request({ login_hint: ANN }))}&login_hint=${encodeURIComponent(BOB)}`,
    );
    assert.equal(new URL(repeated.location!).searchParams.get('error'), 'invalid_request');
  });
});
