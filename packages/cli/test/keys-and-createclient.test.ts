import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, SigningKey } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { ClientSecretHasher } from '@tandem/tokens';
import { tandem } from './helpers.js';

const SECRET_KEY = 'cli-test-secret-key-0123456789-abcdefghijklmnop';
let db: MigratedTestDatabase;
let env: NodeJS.ProcessEnv;
let dataDir: string;
before(async () => {
  db = await createMigratedDatabase();
  dataDir = mkdtempSync(path.join(tmpdir(), 'tandem-cli-keys-'));
  env = {
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    TANDEM_SECRET_KEY: SECRET_KEY,
    TANDEM_DATA_DIR: dataDir,
  };
});
after(async () => {
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test(`keys list / rotate on ${testDialect()}: states move next → current → previous, no private material shown`, async () => {
  const empty = await tandem(['keys', 'list'], env);
  assert.equal(empty.code, 0);
  assert.match(empty.stdout, /No signing keys yet/);

  const first = await tandem(['keys', 'rotate'], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /created .* \(current and next\)/);

  const before = await db.orm.em.fork().find(SigningKey, {});
  const next = before.find((key) => key.state === 'next')!;
  const current = before.find((key) => key.state === 'current')!;
  const rotated = await tandem(['keys', 'rotate'], env);
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.match(
    rotated.stdout,
    new RegExp(`Rotated: ${next.kid} now signs; ${current.kid} stays in the JWKS`),
  );

  const list = await tandem(['keys', 'list'], env);
  assert.equal(list.code, 0);
  assert.match(list.stdout, new RegExp(`${current.kid}\\s+previous`));
  assert.match(list.stdout, new RegExp(`${next.kid}\\s+current`));
  assert.match(list.stdout, /\s+next\s+/);
  const stored = await db.orm.em.fork().find(SigningKey, {}, { populate: ['privateKeyEncrypted'] });
  for (const key of stored) assert.ok(!list.stdout.includes(key.privateKeyEncrypted!.slice(3, 30)));
  assert.ok(!/"d"|v1\./.test(list.stdout));
});

test('keys: a wrong action is a usage error', async () => {
  const result = await tandem(['keys', 'delete'], env);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /Usage: tandem keys list \| keys rotate/);
});

test('createclient prints the client_id and the secret once; only an HMAC is stored', async () => {
  const result = await tandem(['createclient', 'Catalog sync', '--scope', 'catalog:read orders:read'], env);
  assert.equal(result.code, 0, result.stderr);
  const clientId = /client_id:\s+(\S+)/.exec(result.stdout)?.[1];
  const secret = /client_secret:\s+(\S+)/.exec(result.stdout)?.[1];
  assert.ok(clientId && secret);
  assert.ok(secret.length >= 43, '256-bit secret');
  const client = await db.orm.em.fork().findOneOrFail(Client, { clientId });
  assert.equal(client.name, 'Catalog sync');
  assert.deepEqual(client.scopes, ['catalog:read', 'orders:read']);
  assert.notEqual(client.secretHash, secret);
  assert.ok(new ClientSecretHasher(SECRET_KEY).verify(secret, client.secretHash));
});

test('createclient warns of a scope nothing asks for (a typo) and of no scopes, and still creates the client', async () => {
  const quiet = await tandem(['createclient', 'Reader', '--scope', 'catalog:read openid'], env);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, '', 'known scopes: no warning');

  const typo = await tandem(['createclient', 'Typo', '--scope', 'catlog:read catalog:read'], env);
  assert.equal(typo.code, 0, typo.stderr);
  assert.match(
    typo.stderr,
    /^warning: nothing in this project asks for scope "catlog:read" \(a typo\?\); tokens with it open nothing here\. Known: [^\n]*catalog:read[^\n]*\.\n$/,
  );
  assert.doesNotMatch(typo.stderr, /"catalog:read"/);
  const stored = await db.orm.em.fork().findOneOrFail(Client, { name: 'Typo' });
  assert.deepEqual(stored.scopes, ['catlog:read', 'catalog:read']);

  const none = await tandem(['createclient', 'Bot3'], env);
  assert.equal(none.code, 0, none.stderr);
  assert.match(
    none.stderr,
    /^warning: the client has no scopes: its tokens read and write nothing \(give --scope\)\.\n$/,
  );
});

test("createclient warns when a machine client's scopes can never work: users' rows, writes without their outcomes", async () => {
  const machine = await tandem(['createclient', 'Bot4', '--scope', 'orders:read orders:write'], env);
  assert.equal(machine.code, 0, machine.stderr);
  const lines = machine.stderr.trim().split('\n');
  assert.equal(lines.length, 3, machine.stderr);
  assert.match(
    lines[0]!,
    /^warning: "orders:read" reads orders, whose rows belong to users; .* 403 \(give "orders:read:any" to read every row\)\.$/,
  );
  assert.match(
    lines[1]!,
    /^warning: "orders:write" writes orders, whose rows belong to users; .* refuses its writes \(403\)\.$/,
  );
  assert.match(
    lines[2]!,
    /^warning: "orders:write" without "writes:read": writes are accepted, but .* 403; only Prefer: wait/,
  );

  // The lifting scope reads every row; products take a machine client's writes; outcomes are readable.
  const fine = await tandem(
    [
      'createclient',
      'Bot5',
      '--scope',
      'orders:read orders:read:any catalog:read products:write writes:read',
    ],
    env,
  );
  assert.equal(fine.code, 0, fine.stderr);
  assert.equal(fine.stderr, '');

  // An app that signs people in acts for a user: its write scope is usable, only the outcome is missing.
  const app = await tandem(
    [
      'createclient',
      'Shop',
      '--scope',
      'orders:read orders:write',
      '--redirect-uri',
      'https://shop.example/cb',
    ],
    env,
  );
  assert.equal(app.code, 0, app.stderr);
  assert.match(app.stderr, /^warning: "orders:write" without "writes:read": [^\n]*\n$/);
});

test('createclient --redirect-uri makes an app that signs people in; --public has no secret', async () => {
  const result = await tandem(
    [
      'createclient',
      'Shop front',
      '--scope',
      'catalog:read',
      '--redirect-uri',
      'https://shop.example/callback',
      '--redirect-uri',
      'http://127.0.0.1:5173/cb',
      '--origin',
      'https://shop.example',
      '--public',
      '--first-party',
    ],
    env,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stdout, /client_secret:/);
  assert.match(result.stdout, /Public client: no secret/);
  const clientId = /client_id:\s+(\S+)/.exec(result.stdout)?.[1];
  const client = await db.orm.em.fork().findOneOrFail(Client, { clientId });
  assert.deepEqual(client.redirectUris, ['https://shop.example/callback', 'http://127.0.0.1:5173/cb']);
  assert.deepEqual(client.allowedOrigins, ['https://shop.example']);
  assert.deepEqual(client.grantTypes, ['authorization_code', 'refresh_token']);
  assert.equal(client.isPublic, true);
  assert.equal(client.isFirstParty, true);
});

test('createclient refuses unsafe redirect URIs, origins and grants with a clear message', async () => {
  const http = await tandem(['createclient', 'x', '--redirect-uri', 'http://evil.example/cb'], env);
  assert.equal(http.code, 1);
  assert.match(http.stderr, /redirectUris: .*http only on a loopback host/);
  const fragment = await tandem(['createclient', 'x', '--redirect-uri', 'https://a.example/cb#x'], env);
  assert.match(fragment.stderr, /has a fragment/);
  const origin = await tandem(['createclient', 'x', '--origin', 'https://a.example/path'], env);
  assert.match(origin.stderr, /allowedOrigins: /);
  const publicMachine = await tandem(['createclient', 'x', '--public'], env);
  assert.match(publicMachine.stderr, /public client has no secret/);
});

test('createclient refuses bad input with a clear message', async () => {
  assert.equal((await tandem(['createclient'], env)).code, 2);
  assert.equal((await tandem(['createclient', 'x', '--scope', 'bad"scope'], env)).code, 2);
  const upper = await tandem(['createclient', 'x', '--scope', 'Catalog:READ'], env);
  assert.equal(upper.code, 1);
  assert.match(upper.stderr, /scopes: Scopes are lowercase/);
});
