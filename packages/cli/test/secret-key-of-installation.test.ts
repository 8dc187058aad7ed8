/**
 * `keys rotate` and `createclient` write with the secret key (signing keys sealed with it, client-secret
 * hashes keyed from it), so they must use the services' key: never create one of their own (as a run
 * from another directory did, TANDEM_DATA_DIR being relative), and refuse a key that cannot open the
 * installation's current signing key, writing nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, SigningKey } from '@tandem/models';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { decryptPrivateJwk } from '@tandem/tokens';
import { tandem } from './helpers.js';

const SERVICES_KEY = 'the-services-secret-key-0123456789-abcdefghijklmn';
const OTHER_KEY = 'another-secret-key-made-elsewhere-0123456789-abcdef';
let db: MigratedTestDatabase;
let root: string;
let base: NodeJS.ProcessEnv;

before(async () => {
  db = await createMigratedDatabase();
  root = mkdtempSync(path.join(tmpdir(), 'tandem-cli-installation-key-'));
  base = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
});
after(async () => {
  await db.close();
  rmSync(root, { recursive: true, force: true });
});

/** A data directory as `tandem start` leaves it, holding `key`; without one, a directory with no key. */
function dataDir(name: string, key?: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  if (key !== undefined) writeFileSync(path.join(dir, 'secret.key'), `${key}\n`, { mode: 0o600 });
  return dir;
}

/** kid → state: what a refused command must leave as it was. */
async function keyStates(): Promise<Record<string, string>> {
  const keys = await db.orm.em.fork().find(SigningKey, {}, { orderBy: { id: 'asc' } });
  return Object.fromEntries(keys.map((key) => [key.kid, key.state]));
}

const clientCount = () => db.orm.em.fork().count(Client, {});

test(`no secret key found (${testDialect()}): keys rotate and createclient create none, say where they looked, write nothing`, async () => {
  const empty = dataDir('elsewhere');
  const env = { ...base, TANDEM_DATA_DIR: empty };
  for (const argv of [
    ['keys', 'rotate'],
    ['createclient', 'Sync', '--scope', 'catalog:read'],
  ]) {
    const result = await tandem(argv, env);
    assert.equal(result.code, 1, `${argv.join(' ')}: ${result.stdout}`);
    assert.equal(result.stdout, '');
    assert.ok(
      result.stderr.includes(
        `TANDEM_SECRET_KEY is not set and ${path.join(empty, 'secret.key')} does not exist`,
      ),
      result.stderr,
    );
    assert.match(result.stderr, /never creates one .* set TANDEM_DATA_DIR .* or TANDEM_SECRET_KEY/);
    assert.equal(existsSync(path.join(empty, 'secret.key')), false, 'no key file was created');
  }
  assert.deepEqual(await keyStates(), {});
  assert.equal(await clientCount(), 0);

  // Listing shows public facts only, so it needs no key.
  const list = await tandem(['keys', 'list'], env);
  assert.equal(list.code, 0, list.stderr);
});

test("the key in TANDEM_DATA_DIR's secret.key is used: keys rotate creates keys the services can decrypt", async () => {
  const env = { ...base, TANDEM_DATA_DIR: dataDir('services', SERVICES_KEY) };
  const result = await tandem(['keys', 'rotate'], env);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /created .* \(current and next\)/);
  const keys = await db.orm.em.fork().find(SigningKey, {}, { populate: ['privateKeyEncrypted'] });
  assert.equal(keys.length, 2);
  for (const key of keys) decryptPrivateJwk(key.privateKeyEncrypted!, key.kid, SERVICES_KEY);
});

test('another secret key: keys rotate and createclient exit 1, say TANDEM_SECRET_KEY differs, write nothing', async () => {
  const before = await keyStates();
  const current = Object.entries(before).find(([, state]) => state === 'current')![0];
  const fromEnvironment = { ...base, TANDEM_SECRET_KEY: OTHER_KEY, TANDEM_DATA_DIR: dataDir('services') };
  const fromFile = { ...base, TANDEM_DATA_DIR: dataDir('stale', OTHER_KEY) };
  for (const [env, which] of [
    [fromEnvironment, 'TANDEM_SECRET_KEY'],
    [fromFile, `the secret key in ${path.join(root, 'stale', 'secret.key')}`],
  ] as const) {
    for (const argv of [
      ['keys', 'rotate'],
      ['keys', 'rotate'],
      ['createclient', 'Sync'],
    ]) {
      const result = await tandem(argv, env);
      assert.equal(result.code, 1, `${argv.join(' ')}: ${result.stdout}`);
      assert.equal(result.stdout, '');
      assert.ok(
        result.stderr.includes(
          `${which} differs from the one the services use: it cannot decrypt the current signing key ${current}. Nothing was written.`,
        ),
        result.stderr,
      );
    }
  }
  assert.deepEqual(await keyStates(), before);
  assert.equal(await clientCount(), 0);
});

test("after the refusals, rotating with the services' key still leaves a current key they can decrypt", async () => {
  const env = { ...base, TANDEM_SECRET_KEY: SERVICES_KEY };
  for (let i = 0; i < 2; i += 1) {
    const result = await tandem(['keys', 'rotate'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Rotated: /);
  }
  const current = await db.orm.em
    .fork()
    .findOneOrFail(SigningKey, { state: 'current' }, { populate: ['privateKeyEncrypted'] });
  decryptPrivateJwk(current.privateKeyEncrypted!, current.kid, SERVICES_KEY);
  const created = await tandem(['createclient', 'Sync', '--scope', 'catalog:read'], env);
  assert.equal(created.code, 0, created.stderr);
});
