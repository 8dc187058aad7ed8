/**
 * GET /openapi.json on auth: generated from what the service implements (its grants, error codes and
 * client authentication methods), so the document cannot fall behind the code.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GRANTS } from '../src/routes/token.js';
import { OAUTH_ERROR_CODES } from '../src/oauth-error.js';
import { getJson, startTestAuth, type TestAuth } from './support.js';

let auth: TestAuth;
before(async () => {
  auth = await startTestAuth();
});
after(() => auth.close());

test('GET /openapi.json describes the token, revoke, JWKS, discovery, authorization, userinfo and logout endpoints', async () => {
  const res = await getJson(`${auth.url}/openapi.json`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
  const doc = res.body as {
    openapi: string;
    servers: { url: string }[];
    paths: Record<string, unknown>;
    components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
  };
  assert.equal(doc.openapi, '3.1.0');
  assert.deepEqual(doc.servers, [{ url: auth.server.issuer }]);
  for (const path of [
    '/oauth/token',
    '/oauth/revoke',
    '/.well-known/jwks.json',
    '/.well-known/openid-configuration',
    '/oauth/authorize',
    '/oauth/userinfo',
    '/oauth/logout',
  ])
    assert.ok(doc.paths[path], path);
  const { TokenRequest, OAuthError } = doc.components.schemas;
  assert.deepEqual(
    TokenRequest!.properties.grant_type!.enum,
    [...GRANTS.keys()],
    'every grant the endpoint takes',
  );
  assert.deepEqual(OAuthError!.properties.error!.enum, [...OAUTH_ERROR_CODES]);
  assert.equal((await fetch(`${auth.url}/openapi.json`, { method: 'POST' })).status, 405);
});
