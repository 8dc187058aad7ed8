import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { SigningKey } from '@tandem/models';
import { decryptPrivateJwk } from '@tandem/tokens';
import {
  SECRET_KEY,
  basicAuth,
  createRole,
  createTestClient,
  createUser,
  postForm,
  postRaw,
  startTestAuth,
  type TestAuth,
} from './support.js';

describe(`no secret ever reaches the logs (${testDialect()})`, () => {
  let auth: TestAuth;
  const secrets: string[] = [];

  before(async () => {
    auth = await startTestAuth({ LOGIN_THROTTLE_ATTEMPTS: '2' });
    await createRole(auth, 'readers', ['catalog:read']);
    const password = 'very-secret-password-123';
    await createUser(auth, 'ann@example.com', password, ['readers']);
    const client = await createTestClient(auth, 'logger test', ['catalog:read']);
    secrets.push(password, client.clientSecret, SECRET_KEY);
    const tokenUrl = `${auth.url}/oauth/token`;
    const revokeUrl = `${auth.url}/oauth/revoke`;

    // Every path that handles a secret, successful and failing.
    const login = await postForm(tokenUrl, { grant_type: 'password', username: 'ann@example.com', password });
    const refreshToken = String(login.body.refresh_token);
    secrets.push(refreshToken, String(login.body.access_token));
    const rotated = await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken });
    secrets.push(String(rotated.body.refresh_token), String(rotated.body.access_token));
    await postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken }); // replay
    const wrongPassword = 'wrong-secret-password-456';
    secrets.push(wrongPassword);
    for (let i = 0; i < 3; i++)
      await postForm(tokenUrl, {
        grant_type: 'password',
        username: 'ann@example.com',
        password: wrongPassword,
      });
    await postRaw(
      tokenUrl,
      JSON.stringify({ grant_type: 'password', username: 'ann@example.com', password: wrongPassword }),
      'application/json',
    );
    const cc = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials' },
      basicAuth(client.clientId, client.clientSecret),
    );
    secrets.push(String(cc.body.access_token));
    await postForm(tokenUrl, {
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: `${client.clientSecret}x`,
    });
    await postRaw(tokenUrl, `{"grant_type":"password","password":"${wrongPassword}"`, 'application/json');
    await postForm(
      revokeUrl,
      { token: String(cc.body.access_token) },
      basicAuth(client.clientId, client.clientSecret),
    );
    await postForm(revokeUrl, { token: String(rotated.body.refresh_token) });

    const keys = await auth.db.orm.em.fork().find(SigningKey, {}, { populate: ['privateKeyEncrypted'] });
    for (const key of keys) {
      if (!key.privateKeyEncrypted) continue;
      secrets.push(
        key.privateKeyEncrypted,
        String(decryptPrivateJwk(key.privateKeyEncrypted, key.kid, SECRET_KEY).d),
      );
    }
  });
  after(() => auth.close());

  test('the logs were captured (the test is not vacuous)', () => {
    const all = auth.logs.join('');
    assert.match(all, /token request refused/);
    assert.match(all, /session revoked/);
    assert.ok(secrets.length >= 10);
  });

  test('passwords, refresh tokens, access tokens, client secrets, private keys and the secret key are absent', () => {
    const all = auth.logs.join('');
    for (const secret of secrets) {
      assert.ok(secret.length >= 20, 'a real secret');
      assert.ok(!all.includes(secret), `a secret (${secret.slice(0, 4)}...) appears in the logs`);
    }
  });
});
