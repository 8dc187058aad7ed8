/**
 * The `error` code of a token endpoint's refusal comes from the server: one named like an
 * Object.prototype member (`constructor`, `toString`) must still give a plain OAuthError, not build
 * an Object or throw "not a constructor".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidGrantError, OAuthError } from '../src/index.js';
import { oauthError } from '../src/errors.js';

test('an error code named like an Object.prototype member is a plain OAuthError', () => {
  for (const code of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const error = oauthError(code, 'odd', 400);
    assert.ok(error instanceof OAuthError, code);
    assert.equal(error.constructor, OAuthError, code);
    assert.equal(error.code, code);
  }
  assert.ok(oauthError('invalid_grant', '', 400) instanceof InvalidGrantError);
});
