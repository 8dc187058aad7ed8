import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, passwordProblem, verifyPassword, MAX_PASSWORD_LENGTH } from '../src/index.js';

test('hashes are argon2id PHC strings that verify only the right password', async () => {
  const hash = await hashPassword('correct horse battery');
  assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await verifyPassword(hash, 'correct horse battery'), true);
  assert.equal(await verifyPassword(hash, 'correct horse batterY'), false);
  assert.notEqual(await hashPassword('correct horse battery'), hash, 'salted: same password, new hash');
});

test('a malformed stored hash or an oversized password is a failed check, not a crash', async () => {
  assert.equal(await verifyPassword('not-a-hash', 'whatever'), false);
  const hash = await hashPassword('short-enough');
  assert.equal(await verifyPassword(hash, 'x'.repeat(MAX_PASSWORD_LENGTH + 1)), false);
});

test('password rules explain what is wrong', () => {
  assert.match(passwordProblem('short') ?? '', /at least 8/);
  assert.match(passwordProblem('1234567890') ?? '', /numeric/);
  assert.match(passwordProblem('x'.repeat(MAX_PASSWORD_LENGTH + 1)) ?? '', /at most/);
  assert.equal(passwordProblem('a decent passphrase'), undefined);
  // Characters, not UTF-16 units: four emoji are four characters; eight are enough.
  assert.match(passwordProblem('🔑🔑🔑🔑') ?? '', /at least 8/);
  assert.equal(passwordProblem('🔑'.repeat(8)), undefined);
  // Digits of any script are digits.
  assert.match(passwordProblem('١٢٣٤٥٦٧٨') ?? '', /numeric/);
  assert.match(passwordProblem('１２３４５６７８９') ?? '', /numeric/);
});

test('a password that is not text is refused, however long it claims to be', () => {
  // What a JSON body can hold: `true.length` is undefined, which no length rule refused.
  for (const value of [true, 12345678901, null, undefined, ['a decent passphrase'], { length: 20 }])
    assert.match(passwordProblem(value) ?? '', /must be text/, JSON.stringify(value));
});
