/**
 * What the authorization code flow leaves in the database: its sessions say they came from a code
 * (grant_type authorization_code), and the purge of spent sign-ins (run by the auth service's
 * maintenance round) deletes old codes and ended or expired browser sign-ins while keeping every row
 * something still needs: a used code within its retention (a replay still revokes what it issued), and
 * a used code of a live sign-in (logout finds the sessions to end through it). Real database, both
 * dialects.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationCode, LoginSession, Session } from '@tandem/models';
import { SPENT_CODE_RETENTION_SECONDS, purgeSpentSignIns } from '@tandem/tokens';
import { hashCode } from '../src/authorize/grant.js';
import { LOGIN_SESSION_SECONDS } from '../src/authorize/login-sessions.js';
import { createRole, createUser, postForm, startTestAuth, type TestAuth } from './support.js';
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

const EMAIL = 'keeper@example.com';
const PASSWORD = 'correct horse battery staple';
const later = (seconds: number) => new Date(Date.now() + seconds * 1000);

describe('code-flow sessions and the purge of spent sign-ins', () => {
  let auth: TestAuth;
  let client: CodeClient;

  before(async () => {
    // No timed maintenance round during the file: the last test runs the first one itself.
    auth = await startTestAuth({ SIGNING_KEY_REFRESH_SECONDS: '3600' });
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, EMAIL, PASSWORD, ['reader']);
    client = await createCodeClient(auth, { isFirstParty: true });
  });
  after(() => auth.close());

  const codeFor = async (browser: FormBrowser) => {
    const { verifier, challenge } = pkcePair();
    const back = await signInAndAllow(
      browser,
      {
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: REDIRECT_URI,
        scope: 'openid catalog:read',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      EMAIL,
      PASSWORD,
    );
    return { code: back.searchParams.get('code')!, verifier };
  };
  const codeRow = (code: string) =>
    auth.db.orm.em.fork().findOne(AuthorizationCode, { codeHash: hashCode(code) });

  it('a session started by a code says authorization_code; a password grant one says password', async () => {
    const { code, verifier } = await codeFor(new FormBrowser(auth.url));
    const tokens = await exchange(auth, client, code, verifier);
    assert.equal(tokens.status, 200, tokens.text);
    const row = await codeRow(code);
    const session = await auth.db.orm.em.fork().findOneOrFail(Session, { id: row!.sessionId! });
    assert.equal(session.grantType, 'authorization_code');

    // The refresh grant keeps the session (and so its grant type).
    const refreshed = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'refresh_token',
      refresh_token: String(tokens.body.refresh_token),
      client_id: client.clientId,
      client_secret: client.clientSecret!,
    });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(await auth.db.orm.em.fork().count(Session, { grantType: 'authorization_code' }), 1);
  });

  it('keeps a used code through its retention (a replay still revokes), then deletes it once its sign-in ended', async () => {
    const browser = new FormBrowser(auth.url);
    const { code, verifier } = await codeFor(browser);
    assert.equal((await exchange(auth, client, code, verifier)).status, 200);
    const { sessionId, loginSessionId } = (await codeRow(code))!;

    // Within the retention nothing of it goes, and the replay revokes the session it started.
    await purgeSpentSignIns(auth.db.orm.em.fork(), later(SPENT_CODE_RETENTION_SECONDS - 60));
    assert.ok(await codeRow(code), 'kept within the retention');
    assert.equal((await exchange(auth, client, code, verifier)).status, 400);
    const revoked = await auth.db.orm.em.fork().findOneOrFail(Session, { id: sessionId! });
    assert.equal(revoked.revokedReason, 'code_reuse');

    // Past the retention but with its sign-in live: kept (logout ends what the sign-in started).
    await purgeSpentSignIns(auth.db.orm.em.fork(), later(SPENT_CODE_RETENTION_SECONDS + 120));
    assert.ok(await codeRow(code), 'kept while its sign-in is live');

    // The sign-in ends (logout): the code and the sign-in both go.
    const confirm = await browser.get('/oauth/logout');
    const signedOut = await browser.post('/oauth/logout', {
      csrf: formFields(confirm.html).csrf!,
      logout: '',
    });
    assert.equal(signedOut.status, 200);
    const purged = await purgeSpentSignIns(auth.db.orm.em.fork(), later(SPENT_CODE_RETENTION_SECONDS + 120));
    assert.ok(purged.codes >= 1 && purged.loginSessions >= 1, JSON.stringify(purged));
    assert.equal(await codeRow(code), null);
    assert.equal(await auth.db.orm.em.fork().findOne(LoginSession, { id: loginSessionId! }), null);
  });

  it('deletes codes never exchanged once past the retention, even while their sign-in is live', async () => {
    const browser = new FormBrowser(auth.url);
    const { code } = await codeFor(browser);
    await purgeSpentSignIns(auth.db.orm.em.fork(), later(SPENT_CODE_RETENTION_SECONDS - 60));
    assert.ok(await codeRow(code));
    await purgeSpentSignIns(auth.db.orm.em.fork(), later(SPENT_CODE_RETENTION_SECONDS + 120));
    assert.equal(await codeRow(code), null, 'an unexchanged code has nothing for logout to find');
    // The sign-in itself is still live: the next request gets a code without the login page.
    const again = await browser.get(
      authorizeQuery({
        response_type: 'code',
        client_id: client.clientId,
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      }),
    );
    assert.equal(again.status, 303);
  });

  it('deletes expired sign-ins, and keeps the live ones', async () => {
    const { code } = await codeFor(new FormBrowser(auth.url));
    const { loginSessionId } = (await codeRow(code))!;
    await purgeSpentSignIns(auth.db.orm.em.fork(), later(LOGIN_SESSION_SECONDS - 60));
    assert.ok(await auth.db.orm.em.fork().findOne(LoginSession, { id: loginSessionId! }));
    await purgeSpentSignIns(auth.db.orm.em.fork(), later(LOGIN_SESSION_SECONDS + 60));
    assert.equal(await auth.db.orm.em.fork().findOne(LoginSession, { id: loginSessionId! }), null);
  });

  it("the service's maintenance round purges (no separate timer)", async () => {
    const { code } = await codeFor(new FormBrowser(auth.url));
    const past = new Date(Date.now() - (SPENT_CODE_RETENTION_SECONDS + 60) * 1000);
    await auth.db.orm.em
      .fork()
      .nativeUpdate(AuthorizationCode, { codeHash: hashCode(code) }, { expiresAt: past });
    await auth.server.refreshKeys();
    assert.equal(await codeRow(code), null);
  });
});
