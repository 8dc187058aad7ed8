/**
 * The OpenAPI documents of the auth and fast services are valid OpenAPI 3.1, and what they promise
 * matches what the running services answer (paths exist, success bodies carry the required fields).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { parse } from 'yaml';
import { eventually, testDialect } from '@tandem/models/testing';
import { prepareCatalog, tokenPool, type BenchCatalog } from '../bench/catalog.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from '../support/service-process.js';

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, { required?: string[] }> };
}

const documentPath = (service: string) =>
  fileURLToPath(new URL(`../../../services/${service}/openapi.yaml`, import.meta.url));
const load = (service: string) => parse(readFileSync(documentPath(service), 'utf8')) as OpenApiDocument;

let catalog: BenchCatalog;
let auth: ServiceProcess;
let fast: ServiceProcess;

before(async () => {
  catalog = await prepareCatalog(
    testDialect(),
    20,
    process.env.DATABASE_URL ?? '',
    randomBytes(32).toString('hex'),
  );
  auth = await startServiceProcess('auth', ENTRY_POINTS.auth, { env: { ...catalog.env, AUTH_PORT: '0' } });
  fast = await startServiceProcess('fast', ENTRY_POINTS.fast, {
    env: { ...catalog.env, FAST_PORT: '0', TOKEN_ISSUER: auth.url },
  });
});

after(async () => {
  await fast?.stop();
  await auth?.stop();
  await catalog?.database.drop();
});

for (const service of ['auth', 'fast']) {
  test(`services/${service}/openapi.yaml is a valid OpenAPI 3.1 document`, async () => {
    const result = await new Validator().validate(documentPath(service));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });
}

test('the auth service answers every documented path as documented', async () => {
  const doc = load('auth');
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    '/.well-known/jwks.json',
    '/.well-known/openid-configuration',
    '/healthz',
    '/metrics',
    '/oauth/revoke',
    '/oauth/token',
  ]);
  for (const path of [
    '/.well-known/jwks.json',
    '/.well-known/openid-configuration',
    '/healthz',
    '/metrics',
  ]) {
    assert.equal((await fetch(auth.url + path)).status, 200, path);
  }
  const [accessToken] = await tokenPool(auth.url, catalog.client, 1);
  const response = await fetch(`${auth.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: catalog.client.id,
      client_secret: catalog.client.secret,
    }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(response.status, 200);
  for (const field of doc.components.schemas.TokenResponse!.required!)
    assert.ok(field in body, `token response has ${field}`);
  // RFC 7009 answers 200 for any token, revoked or not: the proof is the effect on the fast service.
  const product = `${fast.url}/v1/products?limit=1`;
  const bearer = { authorization: `Bearer ${accessToken}` };
  assert.equal((await fetch(product, { headers: bearer })).status, 200, 'the token works before');
  const revoke = await fetch(`${auth.url}/oauth/revoke`, {
    method: 'POST',
    body: new URLSearchParams({ token: accessToken! }),
  });
  assert.equal(revoke.status, 200);
  await eventually('the revoked token is refused by the fast service', async () => {
    const refused = await fetch(product, { headers: bearer });
    if (refused.status !== 401) return false;
    const body = (await refused.json()) as { error?: string; message?: string };
    return body.error === 'invalid_token' && /revoked/.test(body.message ?? '');
  });
});

test('the fast service answers every documented path as documented', async () => {
  const doc = load('fast');
  const [token] = await tokenPool(auth.url, catalog.client, 1);
  const headers = { authorization: `Bearer ${token}` };
  const list = await fetch(`${fast.url}/v1/products?limit=5`, { headers });
  assert.equal(list.status, 200);
  const page = (await list.json()) as { items: Record<string, unknown>[] };
  assert.ok(page.items.length > 0);
  const id = page.items[0]!.id as number;
  const record = (await (await fetch(`${fast.url}/v1/products/${id}`, { headers })).json()) as Record<
    string,
    unknown
  >;
  assert.deepEqual(
    Object.keys(record).sort(),
    [...doc.components.schemas.Product!.required!].sort(),
    'a product has exactly the documented fields',
  );
  const category = (await (
    await fetch(`${fast.url}/v1/categories/${record.categoryId}`, { headers })
  ).json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(category).sort(), [...doc.components.schemas.Category!.required!].sort());
  for (const path of ['/healthz', '/metrics']) assert.equal((await fetch(fast.url + path)).status, 200, path);
  const unauthorized = await fetch(`${fast.url}/v1/products/${id}`);
  assert.equal(unauthorized.status, 401);
  assert.match(unauthorized.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
});
