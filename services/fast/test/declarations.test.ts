/**
 * The fast service serves whatever the declarations say, with no code per collection: a collection
 * it was never written for is served over HTTP and WebSocket and appears in /openapi.json, and a
 * declaration that cannot be served stops start-up with a message naming it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type Config } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { Role, hotProjections, type HotProjection } from '@tandem/models';
import { createMigratedDatabase, eventually, type MigratedTestDatabase } from '@tandem/models/testing';
import { startFast, type FastServer } from '../src/server.js';
import { seedCatalog } from './support/fast.js';
import { bearer, get } from './support/http.js';
import { TestIssuer } from './support/issuer.js';
import { openLive } from './support/ws.js';

// A collection of an entity no fast code knows about (and with no capture triggers: the snapshot serves it).
const roles: HotProjection = {
  collection: 'roles',
  entity: 'Role',
  table: 'roles',
  fields: { id: 'id', name: 'name', scopes: 'scopes' },
  scope: 'staff:read',
  filterable: ['name'],
};

// Products "owned" by their category: a row-access declaration over an entity with a relation.
const ownedProducts: HotProjection = {
  collection: 'owned-products',
  entity: 'Product',
  table: 'products',
  fields: { id: 'id', name: 'name', categoryId: 'category' },
  scope: 'catalog:read',
};

let db: MigratedTestDatabase;
let issuer: TestIssuer;
let config: Config;
let fast: FastServer;

const start = (projections: readonly HotProjection[]) =>
  startFast({ config, orm: db.orm, logger: createLogger('fast', 'silent'), projections });

before(async () => {
  db = await createMigratedDatabase();
  issuer = await TestIssuer.start();
  await seedCatalog(db, 2);
  const em = db.orm.em.fork();
  em.create(Role, { name: 'auditors', scopes: ['staff:read'], permissions: [] });
  em.create(Role, { name: 'readers', scopes: ['catalog:read'], permissions: [] });
  await em.flush();
  config = loadConfig({
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    FAST_PORT: '0',
    TOKEN_ISSUER: issuer.url,
    TOKEN_AUDIENCE: 'tandem',
    LOG_LEVEL: 'silent',
    FEED_POLL_MS: '5',
  });
  fast = await start([...hotProjections, roles]);
  await fast.ready;
  await eventually('the signing keys are fetched', () => fast.jwks.size > 0);
});

after(async () => {
  await fast?.close();
  await issuer?.stop();
  await db?.close();
});

test('a declared collection is served over HTTP, filterable as declared, behind its scope', async () => {
  const token = await issuer.sign({ scope: 'staff:read' });
  const page = await get(`${fast.url}/v1/roles?name=auditors`, bearer(token));
  assert.equal(page.status, 200);
  assert.deepEqual(
    page.json.items.map((role: { name: string; scopes: string[] }) => [role.name, role.scopes]),
    [['auditors', ['staff:read']]],
  );
  const one = await get(`${fast.url}/v1/roles/${page.json.items[0].id}`, bearer(token));
  assert.deepEqual(Object.keys(one.json), ['id', 'name', 'scopes']);
  const wrongScope = await get(`${fast.url}/v1/roles`, bearer(await issuer.sign({ scope: 'catalog:read' })));
  assert.equal(wrongScope.status, 403);
  assert.equal(wrongScope.json.error, 'insufficient_scope');
});

test('a declared collection is a WebSocket topic', async () => {
  const live = await openLive(fast.url, { token: await issuer.sign({ scope: 'staff:read' }) });
  try {
    live.send({ type: 'subscribe', topic: 'roles' });
    await live.next((frame) => frame.type === 'subscribed' && frame.topic === 'roles', 'subscribed to roles');
    live.send({ type: 'subscribe', topic: 'products' });
    await live.next((frame) => frame.code === 'insufficient_scope', 'products refused without catalog:read');
  } finally {
    live.close();
  }
});

test('GET /openapi.json describes the collections served, prepared once', async () => {
  const first = await get(`${fast.url}/openapi.json`);
  assert.equal(first.status, 200);
  assert.equal(first.headers['content-type'], 'application/json');
  assert.equal(first.json.openapi, '3.1.0');
  for (const path of ['/v1/products', '/v1/products/{id}', '/v1/categories', '/v1/roles', '/v1/roles/{id}'])
    assert.ok(first.json.paths[path], path);
  assert.deepEqual(first.json.paths['/v1/roles'].get.security, [{ bearer: ['staff:read'] }]);
  assert.deepEqual(first.json.components.schemas.Role.required, ['id', 'name', 'scopes']);
  assert.equal((await get(`${fast.url}/openapi.json`)).text, first.text, 'the same bytes every time');
  const post = await get(`${fast.url}/openapi.json`, {}, 'POST');
  assert.equal(post.status, 405);
});

for (const [what, projection, message] of [
  [
    'a field naming a missing property',
    { ...roles, fields: { ...roles.fields, title: 'title' } },
    /hot declaration of Role \(defineModel\(Role, \{ hot: \{ collection: "roles".*\n.*field "title": Role has no property "title"/,
  ],
  [
    'a non-integer primary key',
    {
      collection: 'sessions',
      entity: 'Session',
      table: 'sessions',
      fields: { id: 'id' },
      scope: 'staff:read',
    },
    /hot declaration of Session .*\n.*primary key must be an integer property "id"/,
  ],
  [
    'a scope with spaces',
    { ...roles, scope: 'staff read' },
    /collection: "roles".*\n.*scope "staff read" must be one OAuth scope token/,
  ],
  [
    'a row-access field that is not exposed',
    { ...ownedProducts, rowAccess: { field: 'ownerId', claim: 'sub' } },
    /collection: "owned-products".*\n.*rowAccess: field "ownerId" is not one of the exposed fields/,
  ],
  [
    'a row-access claim no verifier reads',
    // A declaration in plain JavaScript (or cast) can name any claim: start-up refuses it.
    { ...ownedProducts, rowAccess: { field: 'categoryId', claim: 'tenant' as 'sub' } },
    /collection: "owned-products".*\n.*rowAccess: unknown claim "tenant" \(row access can compare: sub, subject\)/,
  ],
  [
    'a row-access field of another type than its claim',
    { ...ownedProducts, rowAccess: { field: 'name', claim: 'sub' } },
    /collection: "owned-products".*\n.*rowAccess: field "name" \(.*\) must hold an integer or a relation/,
  ],
  [
    'a lifting scope that is not one scope token',
    { ...ownedProducts, rowAccess: { field: 'categoryId', claim: 'sub', anyScope: 'any products' } },
    /collection: "owned-products".*\n.*rowAccess: anyScope "any products" must be one OAuth scope token/,
  ],
] as const) {
  test(`${what} stops start-up with a message naming the declaration`, async () => {
    await assert.rejects(start([projection]), (error: Error) => {
      assert.equal(error.name, 'ProjectionError');
      assert.match(error.message, message);
      return true;
    });
  });
}
