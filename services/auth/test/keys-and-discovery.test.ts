import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { testDialect } from '@tandem/models/testing';
import { listSigningKeys, retireExpiredKeys, rotateSigningKeys } from '@tandem/tokens';
import {
  SECRET_KEY,
  basicAuth,
  createRole,
  createTestClient,
  getJson,
  postForm,
  startTestAuth,
  type TestAuth,
} from './support.js';

describe(`JWKS, discovery and key rotation, as a generic client sees them (${testDialect()})`, () => {
  let auth: TestAuth;
  let client: { clientId: string; clientSecret: string };
  let discovery: Record<string, unknown>;

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'readers', ['catalog:read']);
    client = await createTestClient(auth, 'verifier', ['catalog:read', 'orders:read']);
  });
  after(() => auth.close());

  const issue = async () => {
    const res = await postForm(
      String(discovery.token_endpoint),
      { grant_type: 'client_credentials' },
      basicAuth(client.clientId, client.clientSecret),
    );
    assert.equal(res.status, 200, res.text);
    return String(res.body.access_token);
  };
  /** A fresh remote key set each time: like a verifier that fetches the JWKS now. */
  const verify = (token: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL(String(discovery.jwks_uri))), {
      issuer: String(discovery.issuer),
      audience: 'tandem',
      algorithms: ['EdDSA'],
    });

  test('the discovery document names the issuer, endpoints, grants, scopes and auth methods', async () => {
    const res = await getJson(`${auth.url}/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    discovery = res.body;
    assert.equal(discovery.issuer, auth.server.issuer);
    assert.equal(discovery.token_endpoint, `${auth.url}/oauth/token`);
    assert.equal(discovery.revocation_endpoint, `${auth.url}/oauth/revoke`);
    assert.equal(discovery.jwks_uri, `${auth.url}/.well-known/jwks.json`);
    assert.deepEqual(discovery.grant_types_supported, [
      'authorization_code',
      'password',
      'refresh_token',
      'client_credentials',
    ]);
    assert.deepEqual(discovery.scopes_supported, ['catalog:read', 'email', 'openid', 'orders:read']);
    assert.equal(discovery.authorization_endpoint, `${auth.url}/oauth/authorize`);
    assert.equal(discovery.userinfo_endpoint, `${auth.url}/oauth/userinfo`);
    assert.equal(discovery.end_session_endpoint, `${auth.url}/oauth/logout`);
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(discovery.response_types_supported, ['code']);
    assert.ok((discovery.token_endpoint_auth_methods_supported as string[]).includes('client_secret_basic'));
  });

  test('an issued token verifies with jose createRemoteJWKSet against the live JWKS', async () => {
    const token = await issue();
    const { payload, protectedHeader } = await verify(token);
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal(payload.sub, `client:${client.clientId}`);
  });

  test('the JWKS holds public keys only, with kid/alg/use, and is cacheable', async () => {
    const res = await getJson(`${auth.url}/.well-known/jwks.json`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('cache-control')), /public, max-age=\d+/);
    const keys = res.body.keys as Record<string, unknown>[];
    assert.equal(keys.length, 2, 'current and next');
    for (const key of keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
      assert.equal(key.alg, 'EdDSA');
      assert.equal(key.use, 'sig');
    }
  });

  test('rotation: next is published before it signs; the previous key verifies during grace; retired keys leave', async () => {
    const keysBefore = await listSigningKeys(auth.db.orm.em);
    const nextKid = keysBefore.find((key) => key.state === 'next')!.kid;
    const oldToken = await issue();
    const oldKid = decodeProtectedHeader(oldToken).kid;
    const jwksBefore = (await getJson(String(discovery.jwks_uri))).body.keys as { kid: string }[];
    assert.ok(
      jwksBefore.some((key) => key.kid === nextKid),
      'next key already published',
    );

    const rotation = await rotateSigningKeys(auth.db.orm.em, SECRET_KEY, auth.config.tokens);
    assert.equal(rotation.current, nextKid);
    await auth.server.refreshKeys();
    const newToken = await issue();
    assert.equal(decodeProtectedHeader(newToken).kid, nextKid, 'the published next key signs now');
    await verify(newToken);
    await verify(oldToken); // previous key still in the JWKS
    const jwksAfter = (await getJson(String(discovery.jwks_uri))).body.keys as { kid: string }[];
    assert.deepEqual(new Set(jwksAfter.map((key) => key.kid)), new Set([oldKid, nextKid, rotation.next]));

    // Once every token of the previous key has expired, it is retired and leaves the JWKS.
    const previous = (await listSigningKeys(auth.db.orm.em)).find((key) => key.kid === oldKid)!;
    await retireExpiredKeys(auth.db.orm.em, new Date(previous.retireAfter!.getTime() + 1000));
    await auth.server.refreshKeys();
    await assert.rejects(verify(oldToken), /no applicable key found|JWKSNoMatchingKey/i);
    await verify(newToken);
  });

  test('health and metrics', async () => {
    const health = await getJson(`${auth.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    const metrics = await fetch(`${auth.url}/metrics`);
    const text = await metrics.text();
    assert.match(text, /tandem_auth_tokens_issued_total\{grant_type="client_credentials"\} \d+/);
    assert.match(text, /tandem_auth_token_request_duration_seconds_bucket/);
    await postForm(
      String(discovery.token_endpoint),
      { grant_type: 'client_credentials' },
      basicAuth(client.clientId, 'nope'),
    );
    const after = await (await fetch(`${auth.url}/metrics`)).text();
    assert.match(
      after,
      /tandem_auth_token_failures_total\{endpoint="token",grant_type="client_credentials",error="invalid_client"\} 1/,
    );
  });
});
