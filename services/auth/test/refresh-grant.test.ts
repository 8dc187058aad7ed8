import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { Role, Session, User } from '@tandem/models';
import { createRole, createUser, jwtPayload, postForm, startTestAuth, type TestAuth } from './support.js';

describe(`refresh grant: rotation and reuse detection (${testDialect()})`, () => {
  let auth: TestAuth;
  let tokenUrl: string;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'readers', ['catalog:read', 'orders:read']);
    await createUser(auth, 'ann@example.com', 'correct horse battery', ['readers']);
    tokenUrl = `${auth.url}/oauth/token`;
  });
  after(() => auth.close());

  const login = async (scope?: string) => {
    const res = await postForm(tokenUrl, {
      grant_type: 'password',
      username: 'ann@example.com',
      password: 'correct horse battery',
      ...(scope ? { scope } : {}),
    });
    assert.equal(res.status, 200, res.text);
    return {
      refresh: String(res.body.refresh_token),
      sid: String(jwtPayload(String(res.body.access_token)).sid),
    };
  };
  const refresh = (refreshToken: string, extra: Record<string, string> = {}) =>
    postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
  const session = (sid: string) => auth.db.orm.em.fork().findOneOrFail(Session, { id: sid });

  test('each refresh returns a new refresh token in the same session; the old one is spent', async () => {
    const { refresh: first, sid } = await login();
    const res = await refresh(first);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const second = String(res.body.refresh_token);
    assert.notEqual(second, first);
    assert.equal(jwtPayload(String(res.body.access_token)).sid, sid);
    assert.equal(res.body.scope, 'catalog:read orders:read');
    const third = await refresh(second);
    assert.equal(third.status, 200);
  });

  test('replaying a used refresh token revokes the whole family, including the newest token', async () => {
    const { refresh: first, sid } = await login();
    const rotated = await refresh(first);
    const newest = String(rotated.body.refresh_token);
    const replay = await refresh(first);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    const row = await session(sid);
    assert.ok(row.revokedAt, 'session revoked');
    assert.equal(row.revokedReason, 'refresh_token_reuse');
    const afterwards = await refresh(newest);
    assert.equal(afterwards.body.error, 'invalid_grant', 'the legitimate newest token dies with its family');
  });

  test('two concurrent uses of one refresh token: exactly one succeeds, and the family is revoked', async () => {
    const { refresh: token, sid } = await login();
    const answers = await Promise.all([refresh(token), refresh(token), refresh(token)]);
    const statuses = answers.map((res) => res.status).sort();
    assert.deepEqual(statuses, [200, 400, 400]);
    assert.ok((await session(sid)).revokedAt, 'the losers count as reuse');
  });

  test('scope can narrow on refresh but never widen beyond the original grant; a refused scope does not spend the token', async () => {
    const { refresh: token } = await login('orders:read');
    const wider = await refresh(token, { scope: 'orders:read catalog:read' });
    assert.equal(wider.status, 400);
    assert.equal(wider.body.error, 'invalid_scope');
    const same = await refresh(token, { scope: 'orders:read' });
    assert.equal(same.status, 200, 'the token survived the refused request');
    assert.equal(same.body.scope, 'orders:read');

    const full = await login();
    const narrowed = await refresh(full.refresh, { scope: 'catalog:read' });
    assert.equal(narrowed.body.scope, 'catalog:read');
    // Narrowing one access token does not shrink the session: the next refresh may ask for all again.
    const again = await refresh(String(narrowed.body.refresh_token));
    assert.equal(again.body.scope, 'catalog:read orders:read');
  });

  test('a role that loses a scope stops granting it on refresh', async () => {
    const { refresh: token } = await login();
    await auth.db.orm.em.fork().nativeUpdate(Role, { name: 'readers' }, { scopes: ['catalog:read'] });
    const res = await refresh(token);
    assert.equal(res.status, 200);
    assert.equal(res.body.scope, 'catalog:read');
    const asking = await refresh(String(res.body.refresh_token), { scope: 'orders:read' });
    assert.equal(asking.body.error, 'invalid_scope');
    await auth.db.orm.em
      .fork()
      .nativeUpdate(Role, { name: 'readers' }, { scopes: ['catalog:read', 'orders:read'] });
  });

  test('an inactive user gets nothing and the session is revoked', async () => {
    await createUser(auth, 'bob@example.com', 'correct horse battery', ['readers']);
    const res = await postForm(tokenUrl, {
      grant_type: 'password',
      username: 'bob@example.com',
      password: 'correct horse battery',
    });
    const sid = String(jwtPayload(String(res.body.access_token)).sid);
    await auth.db.orm.em.fork().nativeUpdate(User, { email: 'bob@example.com' }, { isActive: false });
    const denied = await refresh(String(res.body.refresh_token));
    assert.equal(denied.body.error, 'invalid_grant');
    assert.equal((await session(sid)).revokedReason, 'user_inactive');
  });

  test('idle and absolute session lifetimes end refreshes', async () => {
    const idle = await login();
    const longAgo = new Date(Date.now() - (auth.config.tokens.sessionIdleTtlSeconds + 60) * 1000);
    await auth.db.orm.em.fork().nativeUpdate(Session, { id: idle.sid }, { lastUsedAt: longAgo });
    assert.equal((await refresh(idle.refresh)).body.error, 'invalid_grant');

    const expired = await login();
    await auth.db.orm.em
      .fork()
      .nativeUpdate(Session, { id: expired.sid }, { expiresAt: new Date(Date.now() - 1000) });
    assert.equal((await refresh(expired.refresh)).body.error, 'invalid_grant');
  });

  test('unknown, malformed and missing refresh tokens', async () => {
    assert.equal((await refresh('A'.repeat(43))).body.error, 'invalid_grant');
    assert.equal((await refresh('not a token')).body.error, 'invalid_grant');
    const missing = await postForm(tokenUrl, { grant_type: 'refresh_token' });
    assert.equal(missing.body.error, 'invalid_request');
  });

  test('session expiry defaults: 30 days absolute', async () => {
    const { sid } = await login();
    const row = await session(sid);
    const days = (row.expiresAt.getTime() - row.createdAt.getTime()) / 86_400_000;
    assert.ok(Math.abs(days - 30) < 0.01, String(days));
  });
});
