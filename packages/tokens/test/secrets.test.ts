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
  openSealedText,
  sealText,
  SealedTextError,
  type SealContext,
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

/** `sealed` with its tag cut to its first `bytes` bytes. */
function withTagCutTo(sealed: string, bytes: number): string {
  const [version, iv, ciphertext, tag] = sealed.split('.') as [string, string, string, string];
  return [
    version,
    iv,
    ciphertext,
    Buffer.from(tag, 'base64url').subarray(0, bytes).toString('base64url'),
  ].join('.');
}

test('a sealed value whose tag was cut short does not open (GCM tags are 16 bytes, never fewer)', async () => {
  const totp: SealContext = { secretKey: SECRET, purpose: 'totp-secret-encryption', boundTo: 'user-1' };
  const sealed = sealText('JBSWY3DPEHPK3PXP', totp);
  assert.equal(openSealedText(sealed, totp), 'JBSWY3DPEHPK3PXP');
  assert.equal(Buffer.from(sealed.split('.')[3]!, 'base64url').length, 16);
  // Node takes the genuine tag's first 4, 8, 12..15 bytes as a whole tag unless told its length: a
  // forger would then have to guess 4 bytes, not 16.
  for (const bytes of [4, 8, 12, 15]) {
    assert.throws(
      () => openSealedText(withTagCutTo(sealed, bytes), totp),
      (error: unknown) => error instanceof SealedTextError && error.reason === 'format',
      `a ${bytes}-byte tag`,
    );
  }
  const material = await generateSigningKeyMaterial();
  const key = encryptPrivateJwk(material.privateJwk, material.kid, SECRET);
  assert.throws(
    () => decryptPrivateJwk(withTagCutTo(key, 4), material.kid, SECRET),
    /unknown encrypted key format/,
  );
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
