/**
 * The signing-key life cycle as a running auth service lives it, with nobody calling refreshKeys():
 * `tandem keys rotate`, run by the real CLI in another process against the same database, is picked up
 * by the service's own refresh timer (new tokens carry the promoted kid, the JWKS publishes the new
 * next key), and a previous key leaves the JWKS on its own once its retireAfter has passed (its private
 * key erased in the database), while a previous key whose retireAfter is still ahead stays published.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { SigningKey } from '@tandem/models';
import { eventually, testDialect } from '@tandem/models/testing';
import {
  SECRET_KEY,
  basicAuth,
  createRole,
  createTestClient,
  createUser,
  getJson,
  postForm,
  startTestAuth,
  type TestAuth,
} from './support.js';
import { codeFor, createCodeClient, exchange, type CodeClient } from './code-flow-support.js';

const run = promisify(execFile);
const CLI = fileURLToPath(import.meta.resolve('@tandem/cli/bin/tandem.js'));

/** The shortest settings config accepts, so a key's whole life fits in a test. */
const REFRESH_SECONDS = 1;
const TTL_SECONDS = 300; // ACCESS_TOKEN_TTL_SECONDS may not go below 300
const GRACE_SECONDS = 0;
const TIMING = {
  SIGNING_KEY_REFRESH_SECONDS: String(REFRESH_SECONDS),
  ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS),
  SIGNING_KEY_GRACE_SECONDS: String(GRACE_SECONDS),
};
/**
 * The README promises that a running service re-reads keys every SIGNING_KEY_REFRESH_SECONDS (the CLI
 * says "Running auth services switch within 1s"). The waits give up 4 s after that second: room for a
 * loaded runner, far below what a service that only refreshed at the default 30 s (or never) needs.
 */
const SWITCH_DEADLINE_MS = REFRESH_SECONDS * 1000 + 4_000;

describe(`signing keys: rotation by the CLI and retirement, picked up by a running service (${testDialect()})`, () => {
  let auth: TestAuth;
  let client: { clientId: string; clientSecret: string };
  let app: CodeClient;
  let dataDir: string;

  before(async () => {
    auth = await startTestAuth(TIMING);
    client = await createTestClient(auth, 'key watcher', ['catalog:read']);
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, 'keys@example.com', 'correct horse battery staple', ['reader']);
    app = await createCodeClient(auth, { isPublic: true, isFirstParty: true });
    dataDir = mkdtempSync(path.join(tmpdir(), 'tandem-keys-cli-'));
  });
  after(async () => {
    await auth.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `tandem keys rotate` as an operator runs it: another process, the same database and secret. */
  const rotateWithCli = async (): Promise<string> => {
    const { stdout } = await run(process.execPath, [CLI, 'keys', 'rotate'], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: auth.db.url,
        TANDEM_SECRET_KEY: SECRET_KEY,
        TANDEM_DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...TIMING,
      },
    });
    return stdout;
  };
  const issue = async (): Promise<string> => {
    const res = await postForm(
      `${auth.url}/oauth/token`,
      { grant_type: 'client_credentials' },
      basicAuth(client.clientId, client.clientSecret),
    );
    assert.equal(res.status, 200, res.text);
    return String(res.body.access_token);
  };
  /** An ID token from a code exchange (signed apart from the access tokens, with its own header). */
  const idToken = async (): Promise<string> => {
    const { code, verifier } = await codeFor(
      auth,
      app,
      'keys@example.com',
      'correct horse battery staple',
      'openid',
    );
    const res = await exchange(auth, app, code, verifier);
    assert.equal(res.status, 200, res.text);
    return String(res.body.id_token);
  };
  const kidOf = (token: string) => String(decodeProtectedHeader(token).kid);
  const jwks = async (): Promise<JSONWebKeySet> =>
    (await getJson(`${auth.url}/.well-known/jwks.json`)).body as unknown as JSONWebKeySet;
  const publishedKids = async () => new Set((await jwks()).keys.map((key) => String(key.kid)));
  const verify = async (token: string) =>
    jwtVerify(token, createLocalJWKSet(await jwks()), {
      issuer: auth.server.issuer,
      audience: 'tandem',
      algorithms: ['EdDSA'],
    });
  const row = (kid: string) =>
    auth.db.orm.em.fork().findOneOrFail(SigningKey, { kid }, { populate: ['privateKeyEncrypted'] });
  const stateOf = async (state: 'next' | 'current') =>
    (await auth.db.orm.em.fork().findOneOrFail(SigningKey, { state })).kid;

  let firstKid = '';
  let firstToken = '';
  let promotedKid = '';

  test('the refresh timer picks up `tandem keys rotate` run from another process', async () => {
    firstToken = await issue();
    firstKid = kidOf(firstToken);
    assert.equal(firstKid, await stateOf('current'));
    assert.equal(kidOf(await idToken()), firstKid);
    const nextKid = await stateOf('next');

    const output = await rotateWithCli();
    const match =
      /Rotated: (\S+) now signs; (\S+) stays in the JWKS until its tokens expire; (\S+) is published/.exec(
        output,
      );
    assert.ok(match, output);
    const [, current, previous, newNext] = match;
    assert.equal(current, nextKid, 'the published next key was promoted');
    assert.equal(previous, firstKid);
    promotedKid = current!;

    // Nobody calls refreshKeys(): only the service's own timer can make these true.
    await eventually(
      'newly issued tokens carry the promoted kid',
      async () => kidOf(await issue()) === promotedKid,
      SWITCH_DEADLINE_MS,
    );
    await eventually(
      'the JWKS publishes the new next key',
      async () => (await publishedKids()).has(newNext!),
      SWITCH_DEADLINE_MS,
    );
    assert.deepEqual(await publishedKids(), new Set([firstKid, promotedKid, newNext]));
    // ID tokens switch with the access tokens: their header names the promoted key, which verifies them.
    const promotedIdToken = await idToken();
    assert.equal(kidOf(promotedIdToken), promotedKid);
    await jwtVerify(promotedIdToken, createLocalJWKSet(await jwks()), {
      issuer: auth.server.issuer,
      audience: app.clientId,
      algorithms: ['EdDSA'],
      typ: 'JWT',
    });
    await verify(await issue());
    await verify(firstToken); // the previous key still verifies the tokens it signed
  });

  test('a previous key retires on its own once its retireAfter has passed, its private key erased; a younger one stays', async () => {
    const previous = await row(firstKid);
    assert.equal(previous.state, 'previous');
    assert.ok(previous.deactivatedAt && previous.retireAfter);
    assert.equal(
      previous.retireAfter.getTime() - previous.deactivatedAt.getTime(),
      (REFRESH_SECONDS + TTL_SECONDS + GRACE_SECONDS) * 1000,
      'retireAfter = deactivation + SIGNING_KEY_REFRESH_SECONDS + ACCESS_TOKEN_TTL_SECONDS + SIGNING_KEY_GRACE_SECONDS',
    );
    assert.ok(previous.privateKeyEncrypted, 'not erased before retirement');

    // A second rotation: the promoted key becomes previous too, with its retireAfter 301 s ahead.
    const output = await rotateWithCli();
    const newNext = /(\S+) is published as the next key/.exec(output)?.[1];
    assert.ok(newNext, output);
    await eventually(
      'the JWKS publishes the new next key',
      async () => (await publishedKids()).has(newNext),
      SWITCH_DEADLINE_MS,
    );

    // The first key's retireAfter is 301 s away (the TTL cannot be shorter): rather than wait, move it
    // to a second ago, which is what the clock would say by then. Only the service's timer acts from here.
    await auth.db.orm.em
      .fork()
      .nativeUpdate(SigningKey, { kid: firstKid }, { retireAfter: new Date(Date.now() - 1000) });
    await eventually(
      'the previous key leaves the JWKS on its own',
      async () => !(await publishedKids()).has(firstKid),
      SWITCH_DEADLINE_MS,
    );
    const retired = await row(firstKid);
    assert.equal(retired.state, 'retired');
    assert.ok(retired.retiredAt, 'retiredAt recorded');
    assert.equal(retired.privateKeyEncrypted ?? null, null, 'the private key is erased');
    await assert.rejects(verify(firstToken), /no applicable key found|JWKSNoMatchingKey/i);

    // The round that retired it ran after the second rotation: the younger previous key was due later.
    const younger = await row(promotedKid);
    assert.equal(younger.state, 'previous');
    assert.ok(younger.privateKeyEncrypted, 'its private key is kept until it retires');
    assert.ok((await publishedKids()).has(promotedKid), 'still in the JWKS: its tokens have not expired');
    await verify(await issue());
  });
});
