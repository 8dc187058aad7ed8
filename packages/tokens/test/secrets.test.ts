import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClientSecretHasher,
  KeyDecryptionError,
  decryptPrivateJwk,
  deriveKey,
  encryptPrivateJwk,
  generateSigningKeyMaterial,
  hashRefreshToken,
  looksLikeRefreshToken,
  newClientSecret,
  newRefreshToken,
} from '../src/index.js';

const SECRET = 'a-test-secret-key-that-is-long-enough-0123456789';

test('private keys are encrypted with AES-256-GCM bound to their kid', async () => {
  const material = await generateSigningKeyMaterial();
  const stored = encryptPrivateJwk(material.privateJwk, material.kid, SECRET);
  assert.match(stored, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.ok(!stored.includes(String(material.privateJwk.d)), 'the private scalar is not visible');
  assert.deepEqual(decryptPrivateJwk(stored, material.kid, SECRET), material.privateJwk);
  assert.throws(() => decryptPrivateJwk(stored, material.kid, `${SECRET}-other`), KeyDecryptionError);
  assert.throws(() => decryptPrivateJwk(stored, 'another-kid', SECRET), KeyDecryptionError);
  assert.throws(() => decryptPrivateJwk('garbage', material.kid, SECRET), KeyDecryptionError);
  const again = encryptPrivateJwk(material.privateJwk, material.kid, SECRET);
  assert.notEqual(again, stored, 'a fresh IV every time');
});

test('public JWKs never carry private members', async () => {
  const material = await generateSigningKeyMaterial();
  assert.deepEqual(Object.keys(material.publicJwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
  assert.equal(material.publicJwk.alg, 'EdDSA');
  assert.equal(material.publicJwk.crv, 'Ed25519');
});

test('derived keys differ by purpose', () => {
  assert.notDeepEqual(deriveKey(SECRET, 'client-secret-hmac'), deriveKey(SECRET, 'signing-key-encryption'));
  assert.equal(deriveKey(SECRET, 'client-secret-hmac').length, 32);
});

test('refresh tokens: 256 random bits, stored as SHA-256', () => {
  const token = newRefreshToken();
  assert.ok(looksLikeRefreshToken(token));
  assert.equal(Buffer.from(token, 'base64url').length, 32);
  assert.notEqual(newRefreshToken(), token);
  assert.match(hashRefreshToken(token), /^[0-9a-f]{64}$/);
  assert.ok(!looksLikeRefreshToken('short'));
});

test('client secrets: keyed hash, verified in constant time, wrong key or secret fails', () => {
  const hasher = new ClientSecretHasher(SECRET);
  const secret = newClientSecret();
  const stored = hasher.hash(secret);
  assert.match(stored, /^[0-9a-f]{64}$/);
  assert.ok(hasher.verify(secret, stored));
  assert.ok(!hasher.verify(`${secret}x`, stored));
  assert.ok(!hasher.verify(secret, 'abcd'));
  assert.ok(!new ClientSecretHasher(`${SECRET}-2`).verify(secret, stored));
});
