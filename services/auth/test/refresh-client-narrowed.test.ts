/**
 * Narrowing a client narrows its existing sessions: a refresh grants only what the client may have
 * now (its registered scopes, identity scopes always, as the authorization request allows), and a
 * client that lost the refresh_token grant type cannot refresh at all (`unauthorized_client`, RFC
 * 6749 §5.2), without spending its token or ending its users' sessions. Tried as an app keeping
 * scopes staff took away would: plain refreshes, asking for the removed scope by name, racing ten
 * refreshes of one token, and at the store's rotation statements directly. Real auth service and
 * database (SQLite, or PostgreSQL with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { Client, RefreshToken, Session } from '@tandem/models';
import { hashRefreshToken, liveWindow, newRefreshToken } from '@tandem/tokens';
import {
  basicAuth,
  createRole,
  createUser,
  jwtPayload,
  postForm,
  startTestAuth,
  type JsonResponse,
  type TestAuth,
} from './support.js';
import { codeFor, createCodeClient, exchange, type CodeClient, type SignedIn } from './code-flow-support.js';

const EMAIL = 'narrowed@example.com';
const PASSWORD = 'correct horse battery staple';
const GRANTED = 'openid catalog:read orders:read';

describe(`refresh after staff narrow the client (${testDialect()})`, () => {
  let auth: TestAuth;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'readers', ['catalog:read', 'orders:read']);
    await createUser(auth, EMAIL, PASSWORD, ['readers']);
  });
  after(() => auth.close());

  /** A fresh first-party app allowed both scopes, so each test narrows its own client. */
  const newApp = (isPublic = false) =>
    createCodeClient(auth, { isPublic, isFirstParty: true, scopes: ['catalog:read', 'orders:read'] });
  const signIn = async (app: CodeClient): Promise<SignedIn> => {
    const { code, verifier } = await codeFor(auth, app, EMAIL, PASSWORD, GRANTED);
    const tokens = await exchange(auth, app, code, verifier);
    assert.equal(tokens.status, 200, tokens.text);
    assert.equal(tokens.body.scope, GRANTED);
    const access = String(tokens.body.access_token);
    return { refresh: String(tokens.body.refresh_token), access, sid: String(jwtPayload(access).sid) };
  };
  /** What staff do in the admin: the client's row changes, nothing else. */
  const narrow = (app: CodeClient, change: { scopes?: string[]; grantTypes?: string[] }) =>
    auth.db.orm.em.fork().nativeUpdate(Client, { id: app.id }, change);
  /** A refresh as the app itself: authenticated when confidential, naming itself when public. */
  const refreshAs = (app: CodeClient, token: string, fields: Record<string, string> = {}) =>
    postForm(
      `${auth.url}/oauth/token`,
      {
        grant_type: 'refresh_token',
        refresh_token: token,
        ...(app.clientSecret === undefined ? { client_id: app.clientId } : {}),
        ...fields,
      },
      app.clientSecret === undefined ? {} : basicAuth(app.clientId, app.clientSecret),
    );
  const session = (sid: string) => auth.db.orm.em.fork().findOneOrFail(Session, { id: sid });
  const tokenUsed = async (token: string) =>
    (await auth.db.orm.em.fork().findOneOrFail(RefreshToken, { tokenHash: hashRefreshToken(token) }))
      .usedAt !== null;
  /** The scope of a token response, as the response says it and as its access token carries it. */
  const grantedScopes = (answer: JsonResponse) => {
    assert.equal(answer.status, 200, answer.text);
    const claimed = String(jwtPayload(String(answer.body.access_token)).scope);
    assert.equal(answer.body.scope, claimed, 'the response says what the token carries');
    return claimed;
  };

  it('a scope removed from the client is gone from refreshed tokens; the others stay', async () => {
    for (const app of [await newApp(), await newApp(true)]) {
      const { refresh: first } = await signIn(app);
      await narrow(app, { scopes: ['catalog:read'] });
      const rotated = await refreshAs(app, first);
      assert.equal(grantedScopes(rotated), 'openid catalog:read');
      // The next token of the family is narrowed just the same.
      const again = await refreshAs(app, String(rotated.body.refresh_token));
      assert.equal(grantedScopes(again), 'openid catalog:read');
    }
  });

  it('a client without the refresh_token grant type is refused unauthorized_client; nothing is spent', async () => {
    for (const app of [await newApp(), await newApp(true)]) {
      const { refresh: token, sid } = await signIn(app);
      await narrow(app, { grantTypes: ['authorization_code'] });
      for (const fields of [{}, { scope: 'catalog:read' }] as Record<string, string>[]) {
        const refused = await refreshAs(app, token, fields);
        assert.equal(refused.status, 400, refused.text);
        assert.equal(refused.headers.get('content-type')?.startsWith('application/json'), true);
        assert.equal(refused.body.error, 'unauthorized_client');
        assert.match(String(refused.body.error_description), /refresh_token grant/);
        assert.equal(refused.body.access_token, undefined);
      }
      assert.equal(await tokenUsed(token), false, 'the token was not spent');
      assert.equal((await session(sid)).revokedAt, null, 'a refusal, not a leak: the session lives on');
      // Staff giving the grant back brings the session back as it was.
      await narrow(app, { grantTypes: ['authorization_code', 'refresh_token'] });
      assert.equal(grantedScopes(await refreshAs(app, token)), GRANTED);
    }
  });

  it('asking by name for a scope the client lost is invalid_scope and spends nothing', async () => {
    const app = await newApp();
    const { refresh: token, sid } = await signIn(app);
    await narrow(app, { scopes: ['catalog:read'] });
    for (const scope of ['orders:read', 'catalog:read orders:read', 'openid orders:read']) {
      const refused = await refreshAs(app, token, { scope });
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.error, 'invalid_scope');
      assert.equal(typeof refused.body.error_description, 'string');
    }
    assert.equal(await tokenUsed(token), false);
    assert.equal((await session(sid)).revokedAt, null);
    assert.equal(grantedScopes(await refreshAs(app, token, { scope: 'catalog:read' })), 'catalog:read');
  });

  it('ten parallel refreshes of one token after narrowing: none gets the removed scope', async () => {
    for (const scopeParam of [undefined, 'catalog:read', 'openid catalog:read orders:read']) {
      const app = await newApp();
      const { refresh: token, sid } = await signIn(app);
      await narrow(app, { scopes: ['catalog:read'] });
      const fields: Record<string, string> = scopeParam === undefined ? {} : { scope: scopeParam };
      const answers = await Promise.all(Array.from({ length: 10 }, () => refreshAs(app, token, fields)));
      const issued = answers.filter((answer) => answer.status === 200);
      assert.ok(issued.length <= 1, `at most one use of a token wins, not ${issued.length}`);
      for (const answer of issued) assert.ok(!grantedScopes(answer).includes('orders:read'), answer.text);
      for (const answer of answers.filter((each) => each.status !== 200)) {
        assert.equal(answer.status, 400, answer.text);
        assert.ok(['invalid_grant', 'invalid_scope'].includes(String(answer.body.error)), answer.text);
      }
      if (scopeParam === 'openid catalog:read orders:read') {
        assert.equal(issued.length, 0, 'the removed scope, asked for by name, is refused every time');
        assert.equal((await session(sid)).revokedAt, null);
      }
    }
  });

  it('ten parallel refreshes after the refresh_token grant type was removed: all refused, session kept', async () => {
    const app = await newApp(true);
    const { refresh: token, sid } = await signIn(app);
    await narrow(app, { grantTypes: ['authorization_code'] });
    const answers = await Promise.all(Array.from({ length: 10 }, () => refreshAs(app, token)));
    for (const answer of answers) {
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.body.error, 'unauthorized_client');
    }
    assert.equal(await tokenUsed(token), false);
    assert.equal((await session(sid)).revokedAt, null);
  });

  it('the rotation statements themselves refuse a client without the refresh_token grant type', async () => {
    const app = await newApp();
    const { refresh: token, sid } = await signIn(app);
    await narrow(app, { grantTypes: ['authorization_code'] });
    const window = liveWindow(auth.config.tokens.sessionIdleTtlSeconds);
    const store = auth.server.deps.store;
    const rotated = await store.rotateRefreshToken({
      sessionId: sid,
      tokenHash: hashRefreshToken(token),
      nextTokenHash: hashRefreshToken(newRefreshToken()),
      presenterPk: app.id,
      ...window,
    });
    assert.equal(rotated, 0, 'the step-by-step rotation repeats the check');
    // PostgreSQL's read-and-claim statement (no such statement on SQLite).
    const read = await store.withConnection(async (held) =>
      held.readAndRotate?.({
        tokenHash: hashRefreshToken(token),
        nextTokenHash: hashRefreshToken(newRefreshToken()),
        authenticatedClientPk: app.id,
        namedClientId: null,
        ...window,
      }),
    );
    if (testDialect() === 'postgresql')
      assert.equal(read?.claimed, false, 'the one-statement claim repeats it');
    assert.equal(await tokenUsed(token), false);
  });
});
