/**
 * No authorization code outlives the sign-in it came from. The authorization page reads the browser's
 * sign-in, then (after other awaits) stores a code; a logout or password change landing in between
 * ends the sign-in and spends its unexchanged codes, and would miss a code stored after it. The code
 * is therefore stored by one statement that requires the sign-in to be live (insertCodeOfLiveSignIn).
 * Real auth service and database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationCode, LoginSession } from '@tandem/models';
import { revokeUserSessions } from '@tandem/tokens';
import { hashCode } from '../src/authorize/grant.js';
import { createRole, createUser, startTestAuth, type TestAuth } from './support.js';
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

const EMAIL = 'racer@example.com';
const PASSWORD = 'correct horse battery staple';

describe('codes issued while the sign-in ends', () => {
  let auth: TestAuth;
  let client: CodeClient;
  let userId: number;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    userId = await createUser(auth, EMAIL, PASSWORD, ['reader']);
    client = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
  });
  after(() => auth.close());

  const request = (challenge: string) => ({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'openid catalog:read',
    prompt: 'none',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const signedIn = async () => {
    const browser = new FormBrowser(auth.url);
    const { challenge } = pkcePair();
    await signInAndAllow(browser, { ...request(challenge), prompt: 'login' }, EMAIL, PASSWORD);
    return browser;
  };
  const liveSignIn = async () =>
    auth.db.orm.em.fork().findOneOrFail(LoginSession, { user: userId, endedAt: null });

  it('the store refuses a code for an ended or expired sign-in, and stores one for a live sign-in', async () => {
    await signedIn();
    const signIn = await liveSignIn();
    const now = new Date();
    const code = (hash: string) => ({
      codeHash: hashCode(hash),
      clientPk: client.id,
      userId,
      redirectUri: REDIRECT_URI,
      scope: 'openid',
      codeChallenge: pkcePair().challenge,
      nonce: null,
      authTime: now,
      amr: 'pwd',
      acr: null,
      loginSessionId: signIn.id,
      now,
      expiresAt: new Date(now.getTime() + 60_000),
    });
    const queries = auth.server.deps.store.queries;
    assert.equal(await queries.insertCodeOfLiveSignIn(code('live')), 1);
    const stored = await auth.db.orm.em
      .fork()
      .findOneOrFail(AuthorizationCode, { codeHash: hashCode('live') });
    assert.equal(stored.redirectUri, REDIRECT_URI);
    assert.equal(stored.authTime.getTime(), now.getTime());
    assert.equal(stored.usedAt, null);

    await auth.db.orm.em
      .fork()
      .nativeUpdate(LoginSession, { id: signIn.id }, { expiresAt: new Date(now.getTime() - 1) });
    assert.equal(await queries.insertCodeOfLiveSignIn(code('expired')), 0);
    await auth.db.orm.em.fork().nativeUpdate(LoginSession, { id: signIn.id }, { endedAt: new Date() });
    assert.equal(await queries.insertCodeOfLiveSignIn(code('ended')), 0);
    assert.equal(
      await queries.insertCodeOfLiveSignIn({ ...code('unknown'), loginSessionId: 'f'.repeat(64) }),
      0,
    );
    const refused = await auth.db.orm.em
      .fork()
      .count(AuthorizationCode, { codeHash: { $in: ['expired', 'ended', 'unknown'].map(hashCode) } });
    assert.equal(refused, 0);
  });

  it('prompt=none requests racing a logout: every code they got is spent, none starts a session', async () => {
    for (let round = 0; round < 3; round++) {
      const browser = await signedIn();
      const confirm = await browser.get('/oauth/logout');
      const pairs = Array.from({ length: 12 }, () => pkcePair());
      const logout = browser.post('/oauth/logout', { csrf: formFields(confirm.html).csrf!, logout: '' });
      const answers = await Promise.all(
        pairs.map((pair) => browser.get(authorizeQuery(request(pair.challenge)))),
      );
      assert.equal((await logout).status, 200);
      for (const [index, answer] of answers.entries()) {
        const back = new URL(answer.location!);
        const code = back.searchParams.get('code');
        if (code === null) {
          assert.equal(back.searchParams.get('error'), 'login_required');
          continue;
        }
        const late = await exchange(auth, client, code, pairs[index]!.verifier);
        assert.equal(late.status, 400, `round ${round}: a code outlived the logout: ${late.text}`);
        assert.equal(late.body.error, 'invalid_grant');
      }
    }
  });

  it('prompt=none requests racing a password change: the same', async () => {
    for (let round = 0; round < 3; round++) {
      const browser = await signedIn();
      const pairs = Array.from({ length: 12 }, () => pkcePair());
      const change = auth.db.orm.em
        .fork()
        .transactional((em) => revokeUserSessions(em, userId, 'password_changed'));
      const answers = await Promise.all(
        pairs.map((pair) => browser.get(authorizeQuery(request(pair.challenge)))),
      );
      await change;
      for (const [index, answer] of answers.entries()) {
        const code = new URL(answer.location!).searchParams.get('code');
        if (code === null) continue;
        const late = await exchange(auth, client, code, pairs[index]!.verifier);
        assert.equal(late.body.error, 'invalid_grant', `round ${round}: a code outlived the password change`);
      }
    }
  });
});
