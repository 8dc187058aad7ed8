/**
 * The OpenAPI documents the auth and fast services serve at /openapi.json (generated from the model
 * declarations and the ORM metadata) are valid OpenAPI 3.1, and the running services answer as they
 * say: every answer below, errors and WebSocket frames included, is checked against the document's
 * own schemas.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { Validator } from '@seriousme/openapi-schema-validator';
import WebSocket from 'ws';
import { Product, openOrm } from '@tandem/models';
import { eventually, testDialect } from '@tandem/models/testing';
import { readFileSync } from 'node:fs';
import { prepareCatalog, tokenPool, type BenchCatalog } from '../bench/catalog.js';
import { prepareCodeClient, prepareCodePool } from '../bench/code-pool.js';
import { OpenApiChecker } from '../support/openapi-check.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from '../support/service-process.js';

let catalog: BenchCatalog;
let auth: ServiceProcess;
let fast: ServiceProcess;
let authDoc: OpenApiChecker;
let fastDoc: OpenApiChecker;

/**
 * The document, read on a connection of its own: a kept-alive fetch connection idle past the auth
 * service's 5 s keep-alive (the validation test takes longer) fails the next fetch on it.
 */
function served(service: ServiceProcess, id: string): Promise<OpenApiChecker> {
  return new Promise((resolve, reject) => {
    get(`${service.url}/openapi.json`, { agent: false }, (response) => {
      assert.equal(response.statusCode, 200);
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(new OpenApiChecker(JSON.parse(Buffer.concat(chunks).toString()), id)));
    }).on('error', reject);
  });
}

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
  authDoc = await served(auth, 'https://tandem.test/auth/openapi.json');
  fastDoc = await served(fast, 'https://tandem.test/fast/openapi.json');
});

after(async () => {
  await fast?.stop();
  await auth?.stop();
  await catalog?.database.drop();
});

test('both documents are valid OpenAPI 3.1 (checked by @seriousme/openapi-schema-validator)', async () => {
  for (const checker of [authDoc, fastDoc]) {
    assert.equal(checker.document.openapi, '3.1.0');
    const result = await new Validator().validate(structuredClone(checker.document));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  }
});

test('the fast document describes every declared collection, with examples from the seed data', () => {
  const doc = fastDoc.document;
  for (const path of [
    '/v1/products',
    '/v1/products/{id}',
    '/v1/categories',
    '/v1/categories/{id}',
    '/v1/live',
  ])
    assert.ok(doc.paths[path], path);
  assert.deepEqual(doc.paths['/v1/products'].get.security, [{ bearer: ['catalog:read'] }]);
  assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
  // Examples are real records (the first one `tandem seed` writes) and match their own schemas.
  fastDoc.schema('Product', doc.components.schemas.Product.examples[0], 'the Product example');
  fastDoc.schema('Category', doc.components.schemas.Category.examples[0], 'the Category example');
  assert.match(doc.components.schemas.Product.examples[0].sku, /^DEMO-\d{8}$/);
});

test('the auth service answers as its document says', async () => {
  for (const path of ['/.well-known/jwks.json', '/.well-known/openid-configuration', '/healthz']) {
    const response = await fetch(auth.url + path);
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!;
    authDoc.response(path, 'get', response.status, await response.json(), mediaType);
  }
  const token = await fetch(`${auth.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: catalog.client.id,
      client_secret: catalog.client.secret,
    }),
  });
  const tokens = (await token.json()) as { access_token: string };
  authDoc.response('/oauth/token', 'post', token.status, tokens);
  const refused = await fetch(`${auth.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: 'nobody@example.com', password: 'x' }),
  });
  authDoc.response('/oauth/token', 'post', refused.status, await refused.json());
  const unsupported = await fetch(`${auth.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'magic' }),
  });
  authDoc.response('/oauth/token', 'post', unsupported.status, await unsupported.json());

  // RFC 7009 answers 200 for any token: the proof is the effect on the fast service.
  const bearer = { authorization: `Bearer ${tokens.access_token}` };
  const page = `${fast.url}/v1/products?limit=1`;
  assert.equal((await fetch(page, { headers: bearer })).status, 200, 'the token works before');
  const revoke = await fetch(`${auth.url}/oauth/revoke`, {
    method: 'POST',
    // The token is the catalog client's: only that client may revoke it (RFC 7009 §2.1).
    body: new URLSearchParams({
      token: tokens.access_token,
      client_id: catalog.client.id,
      client_secret: catalog.client.secret,
    }),
  });
  authDoc.response('/oauth/revoke', 'post', revoke.status, undefined);
  await eventually('the revoked token is refused by the fast service', async () => {
    const response = await fetch(page, { headers: bearer });
    if (response.status !== 401) return false;
    fastDoc.response('/v1/products', 'get', 401, await response.json());
    return true;
  });
});

test('the authorization page, userinfo and logout answer as the auth document says', async () => {
  const paths = authDoc.document.paths;
  for (const [path, methods] of [
    ['/oauth/authorize', ['get', 'post']],
    ['/oauth/userinfo', ['get', 'post']],
    ['/oauth/logout', ['get', 'post']],
  ] as const)
    for (const method of methods) assert.ok(paths[path]?.[method], `${method} ${path} is documented`);

  // A code (as the authorization page stores one), exchanged: the token response and userinfo.
  const app = await prepareCodeClient(catalog);
  const pool = await prepareCodePool(catalog, app, 1);
  const [code] = readFileSync(pool.file, 'utf8').split('\n');
  const exchanged = await fetch(`${auth.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code!,
      code_verifier: pool.env.WRK_CODE_VERIFIER!,
      redirect_uri: decodeURIComponent(pool.env.WRK_REDIRECT_URI!),
      client_id: app.clientId,
    }),
  });
  const tokens = (await exchanged.json()) as { access_token: string; id_token: string };
  authDoc.response('/oauth/token', 'post', exchanged.status, tokens);
  assert.equal(exchanged.status, 200);
  const bearer = { authorization: `Bearer ${tokens.access_token}` };
  for (const method of ['get', 'post'] as const) {
    const claims = await fetch(`${auth.url}/oauth/userinfo`, { method, headers: bearer });
    assert.equal(claims.status, 200);
    authDoc.response('/oauth/userinfo', method, 200, await claims.json());
  }
  const anonymous = await fetch(`${auth.url}/oauth/userinfo`);
  authDoc.response('/oauth/userinfo', 'get', anonymous.status, await anonymous.json());

  // The page endpoints answer HTML or a redirect; each status must be one the document lists.
  const html = async (path: string, method: 'get' | 'post', init: RequestInit = {}) => {
    const response = await fetch(auth.url + path, { redirect: 'manual', ...init, method });
    const body = await response.text();
    authDoc.response(
      path.split('?')[0]!,
      method,
      response.status,
      response.status === 303 ? undefined : body,
      'text/html',
    );
    return response;
  };
  const request = new URLSearchParams({
    response_type: 'code',
    client_id: app.clientId,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSDtw-cM',
    code_challenge_method: 'S256',
  });
  assert.equal((await html(`/oauth/authorize?${request}`, 'get')).status, 200, 'the login page');
  assert.equal((await html('/oauth/authorize?client_id=nobody', 'get')).status, 400, 'unknown client');
  request.delete('code_challenge');
  const refused = await html(`/oauth/authorize?${request}`, 'get');
  assert.equal(refused.status, 303, 'a bad request goes back to the registered redirect URI');
  assert.equal(new URL(refused.headers.get('location')!).searchParams.get('error'), 'invalid_request');
  const crossSite = await html('/oauth/authorize', 'post', {
    headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
    body: 'step=password',
  });
  assert.equal(crossSite.status, 403);
  assert.equal((await html('/oauth/logout', 'get')).status, 200, 'the confirmation page');
  const hinted = await html(`/oauth/logout?id_token_hint=${tokens.id_token}`, 'get');
  assert.equal(hinted.status, 200, 'signed out');
  const unregistered = await html('/oauth/logout?post_logout_redirect_uri=https://evil.example/', 'get');
  assert.equal(unregistered.status, 400);
  const forged = await html('/oauth/logout', 'post', {
    headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
    body: 'csrf=x&logout=',
  });
  assert.equal(forged.status, 403);
});

test('the fast service answers as its document says, errors included', async () => {
  const [token] = await tokenPool(auth.url, catalog.client, 1);
  const headers = { authorization: `Bearer ${token}` };
  const get = async (path: string, documented: string, init: RequestInit = { headers }) => {
    const response = await fetch(fast.url + path, init);
    fastDoc.response(
      documented,
      'get',
      response.status,
      response.status === 304 ? undefined : await response.json(),
    );
    return response;
  };
  const list = await fetch(`${fast.url}/v1/products?limit=5`, { headers });
  const page = (await list.json()) as { items: { id: number; categoryId: number }[]; next: string | null };
  fastDoc.response('/v1/products', 'get', list.status, page);
  const cursor = page.next;
  assert.ok(cursor, 'a first page of 5 out of 20 has a next cursor');
  await get(`/v1/products?limit=5&after=${cursor}`, '/v1/products');
  await get(`/v1/products?categoryId=${page.items[0]!.categoryId}`, '/v1/products');
  const record = await get(`/v1/products/${page.items[0]!.id}`, '/v1/products/{id}');
  await get(`/v1/products/${page.items[0]!.id}`, '/v1/products/{id}', {
    headers: { ...headers, 'if-none-match': record.headers.get('etag') ?? '' },
  });
  await get(`/v1/categories`, '/v1/categories');
  await get(`/v1/categories/${page.items[0]!.categoryId}`, '/v1/categories/{id}');

  assert.equal((await get('/v1/products?limit=0', '/v1/products')).status, 400);
  assert.equal((await get('/v1/products?after=x', '/v1/products')).status, 400);
  assert.equal((await get('/v1/products?color=red', '/v1/products')).status, 400);
  assert.equal((await get('/v1/products/999999', '/v1/products/{id}')).status, 404);
  assert.equal((await get('/v1/products/1', '/v1/products/{id}', {})).status, 401);
  for (const path of ['/healthz', '/openapi.json']) await get(path, path);
});

test('WebSocket frames match the message schemas the document references', async () => {
  const [token] = await tokenPool(auth.url, catalog.client, 1);
  const live = fastDoc.document.paths['/v1/live'].get['x-websocket'];
  const pointerOf = (ref: string) => ref.slice(1);
  const socket = new WebSocket(`${fast.url.replace(/^http/, 'ws')}/v1/live`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const frames: unknown[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const orm = await openOrm(catalog.database.target);
  try {
    const messages = [
      { type: 'subscribe', topic: 'products/1' },
      { type: 'subscribe', topic: 'nothing' },
      { type: 'subscribe', topic: 'categories' },
      { type: 'unsubscribe', topic: 'categories' },
    ];
    for (const message of messages) {
      fastDoc.matches(pointerOf(live.clientMessages.$ref), message, 'a client message');
      socket.send(JSON.stringify(message));
    }
    socket.send('{"type":"dance"}');
    await eventually('subscribed, refused and unsubscribed frames', () => frames.length >= 5);
    await orm.em.fork().nativeUpdate(Product, { id: 1 }, { stock: 4242 });
    await eventually('the change frame', () =>
      frames.some((frame) => (frame as { type: string }).type === 'change'),
    );
    for (const frame of frames)
      fastDoc.matches(pointerOf(live.serverMessages.$ref), frame, JSON.stringify(frame));
    const types = frames.map((frame) => (frame as { type: string }).type);
    for (const type of ['subscribed', 'error', 'unsubscribed', 'change'])
      assert.ok(types.includes(type), type);
  } finally {
    socket.terminate();
    await orm.close(true);
  }
});
