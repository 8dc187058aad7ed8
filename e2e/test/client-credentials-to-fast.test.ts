/**
 * A machine client's tokens (client_credentials, RFC 6749 §4.4) from the real auth service work at the
 * fast service, an RFC 7009 revocation reaches fast through the change feed, and tokens signed with
 * keys fast already holds keep verifying while auth is down (verification is local). Auth and fast run
 * compiled as child processes on one database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createMigratedDatabase,
  eventually,
  testDialect,
  type MigratedTestDatabase,
} from '@tandem/models/testing';
import { tandem } from '../bench/catalog.js';
import { E2E_SECRET_KEY } from '../support/admin-process.js';
import { seedReaderCatalog } from '../support/catalog.js';
import type { ServiceProcess } from '../support/service-process.js';
import { startTokenServices } from '../support/token-services.js';

let db: MigratedTestDatabase;
let processes: ServiceProcess[] = [];
let auth: ServiceProcess;
let fast: ServiceProcess;
let basic: string;

async function clientToken(): Promise<string> {
  const res = await fetch(`${auth.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=catalog:read',
  });
  const body = (await res.json()) as { access_token?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.access_token!;
}

const read = (path: string, token: string) =>
  fetch(`${fast.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

before(async () => {
  db = await createMigratedDatabase();
  await seedReaderCatalog(db, 2);
  const created = await tandem(['createclient', 'fast test client', '--scope', 'catalog:read'], {
    DATABASE_URL: db.url,
    TANDEM_SECRET_KEY: E2E_SECRET_KEY,
  });
  const id = /client_id:\s+(\S+)/.exec(created)?.[1];
  const secret = /client_secret:\s+(\S+)/.exec(created)?.[1];
  assert.ok(id && secret, `could not read the client from:\n${created}`);
  basic = Buffer.from(`${id}:${secret}`).toString('base64');
  ({ auth, fast, processes } = await startTokenServices(db.url));
});

after(async () => {
  for (const service of [...processes].reverse()) await service.stop();
  await db?.close();
});

test(`real tokens from the auth service are accepted; revocation reaches the fast service (${testDialect()})`, async () => {
  const access = await clientToken();
  const list = await read('/v1/products', access);
  const body = (await list.json()) as { items: unknown[] };
  assert.equal(list.status, 200, JSON.stringify(body));
  assert.equal(body.items.length, 2);

  const revoke = await fetch(`${auth.url}/oauth/revoke`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${access}&token_type_hint=access_token`,
  });
  assert.equal(revoke.status, 200);
  await eventually('revoked through the change feed', async () => {
    const refused = await read('/v1/products', access);
    await refused.arrayBuffer();
    return refused.status === 401;
  });
});

test('with the auth service down, tokens signed by known keys still verify', async () => {
  const access = await clientToken();
  await auth.stop();
  const res = await read('/v1/categories', access);
  await res.arrayBuffer();
  assert.equal(res.status, 200);
});
