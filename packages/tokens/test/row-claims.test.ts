/**
 * The row-access claims a verified token carries (issue 14, and `subject` for issue 15's write
 * outcomes): `sub` names a user's rows only, `subject` whoever holds the token, verbatim; a claim of
 * another shape names nobody's rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROW_ACCESS_CLAIMS } from '@tandem/models';
import { readRowClaims } from '../src/verify/row-claims.js';

test('a user’s token owns rows by user id (sub) and by its subject', () => {
  assert.deepEqual(readRowClaims({ sub: '42' }), { sub: '42', subject: '42' });
});

test('a machine client’s token owns its writes (subject) but no user’s rows (sub)', () => {
  assert.deepEqual(readRowClaims({ sub: 'client:catalog-sync' }), { subject: 'client:catalog-sync' });
});

test('a subject this issuer never writes, or longer than the owner column, owns nothing', () => {
  for (const sub of [42, '', '042', '-1', 'client:', 'user:42', '1e3', null, ['42'], { id: 42 }])
    assert.deepEqual(readRowClaims({ sub }), {}, JSON.stringify(sub));
  assert.deepEqual(readRowClaims({}), {});
  const long = `client:${'x'.repeat(249)}`;
  assert.equal(long.length, 256);
  assert.deepEqual(readRowClaims({ sub: long }), {});
  assert.deepEqual(readRowClaims({ sub: long.slice(0, 255) }), { subject: long.slice(0, 255) });
});

test('every claim a row-access rule may name has a reader', () => {
  const read = readRowClaims({ sub: '7' });
  for (const claim of Object.keys(ROW_ACCESS_CLAIMS)) assert.ok(claim in read, claim);
});
