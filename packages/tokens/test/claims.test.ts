import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clientSubject,
  formatScope,
  grantScope,
  parseScope,
  parseSubject,
  scopeIncludes,
  userSubject,
} from '../src/index.js';

test('scopes parse to distinct RFC 6749 scope tokens and format back', () => {
  assert.deepEqual(parseScope('catalog:read  orders:read catalog:read'), ['catalog:read', 'orders:read']);
  assert.deepEqual(parseScope(''), []);
  assert.deepEqual(parseScope('   '), []);
  assert.equal(parseScope('bad"quote'), undefined);
  assert.equal(parseScope('back\\slash'), undefined);
  assert.equal(parseScope('tab\there'), undefined);
  assert.equal(formatScope(['a', 'b', 'a']), 'a b');
  assert.ok(scopeIncludes('catalog:read orders:read', 'orders:read'));
  assert.ok(!scopeIncludes('catalog:read', 'catalog'));
});

test('grantScope: default is everything allowed, a request must be a subset', () => {
  assert.deepEqual(grantScope(undefined, ['a', 'b']), { ok: true, scopes: ['a', 'b'] });
  assert.deepEqual(grantScope('b', ['a', 'b']), { ok: true, scopes: ['b'] });
  assert.deepEqual(grantScope('', ['a']), { ok: true, scopes: [] });
  assert.deepEqual(grantScope('a c', ['a', 'b']), { ok: false });
  assert.deepEqual(grantScope('"', ['a']), { ok: false });
});

test('subjects: user ids and machine clients round-trip, junk does not', () => {
  assert.deepEqual(parseSubject(userSubject(42)), { kind: 'user', userId: 42 });
  assert.deepEqual(parseSubject(clientSubject('tc_abc')), { kind: 'client', clientId: 'tc_abc' });
  assert.equal(parseSubject('client:'), undefined);
  assert.equal(parseSubject('042'), undefined);
  assert.equal(parseSubject('admin'), undefined);
});
