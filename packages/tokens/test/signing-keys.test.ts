import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { SigningKey } from '@tandem/models';
import {
  AccessTokenSigner,
  SigningKeyRing,
  ensureSigningKeys,
  listSigningKeys,
  retireExpiredKeys,
  rotateSigningKeys,
  SecretKeyMismatchError,
  type KeyTiming,
} from '../src/index.js';

const SECRET = 'a-test-secret-key-that-is-long-enough-0123456789';
const timing: KeyTiming = {
  accessTokenTtlSeconds: 600,
  signingKeyGraceSeconds: 60,
  signingKeyRefreshSeconds: 30,
};
const settings = { issuer: 'http://auth.test', audience: 'tandem', accessTokenTtlSeconds: 600 };

describe(`signing keys in the database (${testDialect()})`, () => {
  let db: MigratedTestDatabase;
  before(async () => {
    db = await createMigratedDatabase();
  });
  after(() => db.close());

  const states = async () =>
    Object.fromEntries((await listSigningKeys(db.orm.em)).map((key) => [key.kid, key.state]));

  test('first start creates a current and a published next key; a second start changes nothing', async () => {
    const created = await ensureSigningKeys(db.orm.em, SECRET);
    assert.equal(created.length, 2);
    assert.deepEqual(Object.values(await states()).sort(), ['current', 'next']);
    assert.deepEqual(await ensureSigningKeys(db.orm.em, SECRET), []);
  });

  test('rotation: a token of the previous key verifies during grace, the next key is published before it signs', async () => {
    const ring = new SigningKeyRing(SECRET);
    await ring.refresh(db.orm.em);
    const signer = new AccessTokenSigner(settings, ring);
    const before = await listSigningKeys(db.orm.em);
    const nextKid = before.find((key) => key.state === 'next')!.kid;
    const oldKid = before.find((key) => key.state === 'current')!.kid;
    assert.ok(
      ring.jwks().keys.some((key) => key.kid === nextKid),
      'next is in the JWKS before rotation',
    );

    const oldToken = (await signer.sign({ sub: '1', scope: 'catalog:read', sid: 'session-1' })).token;
    assert.equal(decodeProtectedHeader(oldToken).kid, oldKid);
    const jwksBeforeRotation = createLocalJWKSet({ keys: [...ring.jwks().keys] });

    const result = await rotateSigningKeys(db.orm.em, SECRET, timing);
    assert.equal(result.rotated, true);
    assert.equal(result.previous, oldKid);
    assert.equal(result.current, nextKid);
    await ring.refresh(db.orm.em);
    const newToken = (await signer.sign({ sub: '1', scope: 'catalog:read', sid: 'session-1' })).token;
    assert.equal(decodeProtectedHeader(newToken).kid, nextKid);

    // A verifier that fetched the JWKS before the rotation already knows the new signing key.
    await jwtVerify(newToken, jwksBeforeRotation, {
      issuer: settings.issuer,
      audience: 'tandem',
      algorithms: ['EdDSA'],
    });
    // The JWKS after rotation still holds the previous key.
    const jwksAfter = createLocalJWKSet({ keys: [...ring.jwks().keys] });
    const { payload } = await jwtVerify(oldToken, jwksAfter, { issuer: settings.issuer, audience: 'tandem' });
    assert.equal(payload.sid, 'session-1');
    assert.deepEqual(Object.values(await states()).sort(), ['current', 'next', 'previous']);
    assert.ok(ring.jwks().keys.every((key) => !('d' in key)));
  });

  test('a previous key leaves the JWKS only after its tokens expired, and its private key is erased', async () => {
    const previous = (await listSigningKeys(db.orm.em)).find((key) => key.state === 'previous')!;
    assert.ok(previous.retireAfter && previous.deactivatedAt);
    const expectedSeconds =
      timing.accessTokenTtlSeconds + timing.signingKeyGraceSeconds + timing.signingKeyRefreshSeconds;
    assert.equal((previous.retireAfter.getTime() - previous.deactivatedAt.getTime()) / 1000, expectedSeconds);
    assert.deepEqual(await retireExpiredKeys(db.orm.em, new Date(previous.retireAfter.getTime() - 1000)), []);
    assert.deepEqual(await retireExpiredKeys(db.orm.em, new Date(previous.retireAfter.getTime() + 1000)), [
      previous.kid,
    ]);
    const row = await db.orm.em
      .fork()
      .findOneOrFail(SigningKey, { kid: previous.kid }, { populate: ['privateKeyEncrypted'] });
    assert.equal(row.state, 'retired');
    assert.equal(row.privateKeyEncrypted, null);
    const ring = new SigningKeyRing(SECRET);
    await ring.refresh(db.orm.em);
    assert.ok(!ring.jwks().keys.some((key) => key.kid === previous.kid));
  });

  test('the database refuses a second current key and an unknown state', async () => {
    const knex = db.orm.em.getKnex();
    const row = { kid: 'raw-kid', algorithm: 'EdDSA', public_jwk: '{}', private_key_encrypted: 'x' };
    await assert.rejects(knex.table('signing_keys').insert({ ...row, state: 'current' }));
    await assert.rejects(knex.table('signing_keys').insert({ ...row, kid: 'raw-2', state: 'bogus' }));
    await assert.rejects(
      knex
        .table('signing_keys')
        .insert({ ...row, kid: 'raw-3', state: 'previous', private_key_encrypted: null }),
    );
  });

  test('a ring refuses a key encrypted under another secret', async () => {
    const ring = new SigningKeyRing(`${SECRET}-different`);
    await assert.rejects(ring.refresh(db.orm.em), /TANDEM_SECRET_KEY/);
  });

  test('rotating or completing the keys with another secret key changes nothing: its keys would never decrypt', async () => {
    const other = `${SECRET}-different`;
    const before = await states();
    await assert.rejects(rotateSigningKeys(db.orm.em, other, timing), SecretKeyMismatchError);
    assert.deepEqual(await states(), before);
    // With the current key gone, the check falls back to the next one, which would become current.
    const em = db.orm.em.fork();
    const current = await em.findOneOrFail(SigningKey, { state: 'current' });
    await em.nativeUpdate(SigningKey, { id: current.id }, { state: 'previous' });
    await assert.rejects(ensureSigningKeys(db.orm.em, other), /cannot decrypt the next signing key/);
    await assert.rejects(rotateSigningKeys(db.orm.em, other, timing), SecretKeyMismatchError);
    assert.deepEqual(await states(), { ...before, [current.kid]: 'previous' });
    await em.nativeUpdate(SigningKey, { id: current.id }, { state: 'current' });
  });

  test('listing never exposes private material', async () => {
    const listed = JSON.stringify(await listSigningKeys(db.orm.em));
    assert.ok(!/private|"d"|v1\./.test(listed), listed);
  });
});
