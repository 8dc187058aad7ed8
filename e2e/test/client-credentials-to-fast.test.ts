import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createClient } from '@tandem/tokens';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { eventually, seedCatalog, startHarness, type Harness } from './support/fast.js';
import { requireBuilt } from './support/built.js';
import { bearer, get } from './support/http.js';

const SECRET_KEY = 'cross-service-test-secret-key-0123456789abcdef';

let db: MigratedTestDatabase;
let auth: ChildProcess | undefined;
let authUrl: string;
let h: Harness | undefined;
let client: { clientId: string; clientSecret: string };

async function token(): Promise<string> {
  const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
  const res = await fetch(`${authUrl}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=catalog:read',
  });
  const body = (await res.json()) as { access_token?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.access_token!;
}

before(async () => {
  const authMain = requireBuilt(new URL('../../../auth/dist/src/main.js', import.meta.url), 'services/auth');
  db = await createMigratedDatabase();
  await seedCatalog(db, 2);
  const created = await createClient(
    db.orm.em,
    { name: 'Fast test client', scopes: ['catalog:read'] },
    SECRET_KEY,
  );
  client = { clientId: created.client.clientId, clientSecret: created.clientSecret };
  auth = spawn(process.execPath, [authMain], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      AUTH_PORT: '0',
      TANDEM_SECRET_KEY: SECRET_KEY,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  authUrl = await new Promise<string>((resolve, reject) => {
    auth!.on('message', (m) => resolve((m as { url: string }).url));
    auth!.on('exit', (code) => reject(new Error(`auth exited with ${code}`)));
  });
  const discovery = (await (await fetch(`${authUrl}/.well-known/openid-configuration`)).json()) as {
    issuer: string;
  };
  h = await startHarness(() => ({
    DATABASE_URL: db.url,
    TOKEN_ISSUER: discovery.issuer,
    JWKS_REFETCH_MIN_SECONDS: '1',
  }));
});

after(async () => {
  await h?.close();
  if (auth && auth.exitCode === null) {
    const exited = new Promise((resolve) => auth!.on('exit', resolve));
    auth.kill('SIGTERM');
    await exited;
  }
  await db?.close();
});

test(`real tokens from the auth service are accepted; revocation reaches the fast service (${testDialect()})`, async () => {
  const access = await token();
  const list = await get(`${h!.fast.url}/v1/products`, bearer(access));
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.items.length, 2);

  const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
  const revoke = await fetch(`${authUrl}/oauth/revoke`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${access}&token_type_hint=access_token`,
  });
  assert.equal(revoke.status, 200);
  await eventually(
    'revoked through the change feed',
    async () => (await get(`${h!.fast.url}/v1/products`, bearer(access))).status === 401,
  );
});

test('with the auth service down, tokens signed by known keys still verify', async () => {
  const access = await token();
  const exited = new Promise((resolve) => auth!.on('exit', resolve));
  auth!.kill('SIGTERM');
  await exited;
  const res = await get(`${h!.fast.url}/v1/categories`, bearer(access));
  assert.equal(res.status, 200);
});
