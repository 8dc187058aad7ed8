import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { Session } from '@tandem/models';
import {
  basicAuth,
  createRole,
  createTestClient,
  createUser,
  jwtPayload,
  postForm,
  startTestAuth,
  type TestAuth,
} from './support.js';

describe(`revocation, RFC 7009 (${testDialect()})`, () => {
  let auth: TestAuth;
  let tokenUrl: string;
  let revokeUrl: string;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'readers', ['catalog:read']);
    await createUser(auth, 'ann@example.com', 'correct horse battery', ['readers']);
    tokenUrl = `${auth.url}/oauth/token`;
    revokeUrl = `${auth.url}/oauth/revoke`;
  });
  after(() => auth.close());

  const login = async () => {
    const res = await postForm(tokenUrl, {
      grant_type: 'password',
      username: 'ann@example.com',
      password: 'correct horse battery',
    });
    return {
      access: String(res.body.access_token),
      refresh: String(res.body.refresh_token),
      sid: String(jwtPayload(String(res.body.access_token)).sid),
    };
  };
  const session = (sid: string) => auth.db.orm.em.fork().findOneOrFail(Session, { id: sid });

  test('revoking a refresh token revokes its session; the token no longer refreshes', async () => {
    const tokens = await login();
    const res = await postForm(revokeUrl, { token: tokens.refresh, token_type_hint: 'refresh_token' });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const row = await session(tokens.sid);
    assert.ok(row.revokedAt);
    assert.equal(row.revokedReason, 'revoked');
    const refresh = await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: tokens.refresh });
    assert.equal(refresh.body.error, 'invalid_grant');
  });

  test('revoking an access token revokes the session it belongs to (with or without a hint)', async () => {
    const tokens = await login();
    assert.equal((await postForm(revokeUrl, { token: tokens.access })).status, 200);
    assert.ok((await session(tokens.sid)).revokedAt);
    const other = await login();
    // A wrong hint is only a hint: the server still finds the token.
    assert.equal(
      (await postForm(revokeUrl, { token: other.access, token_type_hint: 'refresh_token' })).status,
      200,
    );
    assert.ok((await session(other.sid)).revokedAt);
    assert.equal(
      (await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: other.refresh })).body.error,
      'invalid_grant',
    );
  });

  test('unknown or invalid tokens still answer 200; a missing token is invalid_request', async () => {
    assert.equal((await postForm(revokeUrl, { token: 'whatever' })).status, 200);
    assert.equal((await postForm(revokeUrl, { token: 'a.b.c' })).status, 200);
    const missing = await postForm(revokeUrl, {});
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_request');
  });

  test("a client may revoke its own tokens, not another client's; bad credentials are invalid_client", async () => {
    const mine = await createTestClient(auth, 'mine', ['catalog:read']);
    const theirs = await createTestClient(auth, 'theirs', ['catalog:read']);
    const issue = async (client: typeof mine) =>
      String(
        (
          await postForm(
            tokenUrl,
            { grant_type: 'client_credentials' },
            basicAuth(client.clientId, client.clientSecret),
          )
        ).body.access_token,
      );
    const theirToken = await issue(theirs);
    const refused = await postForm(
      revokeUrl,
      { token: theirToken },
      basicAuth(mine.clientId, mine.clientSecret),
    );
    // RFC 7009 §2.1: not revoked, and answered like any token the client cannot revoke.
    assert.equal(refused.status, 200);
    assert.equal((await session(String(jwtPayload(theirToken).sid))).revokedAt, null);
    const own = await postForm(
      revokeUrl,
      { token: theirToken },
      basicAuth(theirs.clientId, theirs.clientSecret),
    );
    assert.equal(own.status, 200);
    assert.ok((await session(String(jwtPayload(theirToken).sid))).revokedAt);
    const bad = await postForm(revokeUrl, { token: theirToken }, basicAuth(mine.clientId, 'wrong'));
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error, 'invalid_client');
  });
});
