import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { eventually, seedCatalog, startHarness, type Harness } from './support/fast.js';
import { bearer, get } from './support/http.js';

const GLOBAL = 'https://dashboard.example';
const REGISTERED = 'https://shop.example';

let h: Harness;
let productUrl: string;

before(async () => {
  h = await startHarness({ CORS_ALLOWED_ORIGINS: GLOBAL }, async (db) => {
    await seedCatalog(db, 2);
    // A client's registered origin is allowed like the global list (read at start, then every 5 s).
    const em = db.orm.em.fork();
    em.create(Client, {
      name: 'Shop',
      clientId: 'shop-front-app',
      secretHash: '0'.repeat(64),
      scopes: ['catalog:read'],
      redirectUris: [`${REGISTERED}/callback`],
      allowedOrigins: [REGISTERED],
      grantTypes: ['authorization_code'],
      isPublic: true,
    });
    await em.flush();
  });
  const [row] = await h.sql(
    `select min(id) as id from products where published = ${testDialect() === 'postgresql' ? 'true' : '1'}`,
  );
  productUrl = `${h.fast.url}/v1/products/${row.id}`;
  // Clients' origins are read in the background (start-up does not wait for the database).
  await eventually('the registered origin is read', async () => (await preflight(REGISTERED)).status === 204);
});
after(() => h?.close());

const preflight = (origin: string, method = 'GET') =>
  get(
    productUrl,
    { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization' },
    'OPTIONS',
  );

test('a preflight from an allowed origin (global list or a client) is answered with what may be sent', async () => {
  for (const origin of [GLOBAL, REGISTERED]) {
    const res = await preflight(origin);
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], origin);
    assert.equal(res.headers['access-control-allow-methods'], 'GET, HEAD, POST, PATCH, DELETE');
    assert.match(String(res.headers['access-control-allow-headers']), /Authorization/);
    // The writes' headers (issue 15): a page may send a JSON body, a retry key, a precondition, a wait.
    assert.match(
      String(res.headers['access-control-allow-headers']),
      /Content-Type, Idempotency-Key, If-Match, Prefer/,
    );
    assert.equal(res.headers['access-control-allow-credentials'], undefined);
  }
});

test('a preflight from another origin, or for another method, is refused', async () => {
  const other = await preflight('https://evil.example');
  assert.equal(other.status, 403);
  assert.equal(other.json.error, 'cors_refused');
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  // Methods no route takes (the writes are POST, PATCH and DELETE).
  for (const method of ['PUT', 'TRACE', 'CONNECT'])
    assert.equal((await preflight(GLOBAL, method)).status, 403, method);
  // A look-alike of an allowed origin is another origin.
  assert.equal((await preflight(`${REGISTERED}.evil.example`)).status, 403);
  assert.equal((await preflight('null')).status, 403);
});

test('reads echo an allowed Origin by name (never *, never credentials); other origins get none', async () => {
  const token = await h.issuer.sign();
  const allowed = await get(productUrl, { ...bearer(token), origin: REGISTERED });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers['access-control-allow-origin'], REGISTERED);
  assert.match(String(allowed.headers['access-control-expose-headers']), /ETag/);
  assert.equal(allowed.headers.vary, 'Origin');
  assert.equal(allowed.headers['access-control-allow-credentials'], undefined);
  const refused = await get(productUrl, { origin: REGISTERED });
  assert.equal(refused.status, 401);
  assert.equal(refused.headers['access-control-allow-origin'], REGISTERED, 'the page can read why');
  const other = await get(productUrl, { ...bearer(token), origin: 'https://evil.example' });
  assert.equal(other.status, 200);
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  const plain = await get(productUrl, bearer(token));
  assert.equal(plain.headers['access-control-allow-origin'], undefined);
  assert.equal(plain.headers.vary, undefined, 'requests without Origin are untouched');
});
