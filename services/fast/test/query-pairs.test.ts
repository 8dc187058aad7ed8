/**
 * A list request's query is read without URLSearchParams when it needs no decoding: the pairs must be
 * exactly what URLSearchParams lists for every query, decoded or not, odd or not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decimalValue } from '../src/http/decimal-value.js';
import { queryPairs } from '../src/http/query-pairs.js';
import { recordId } from '../src/http/record.js';
import { random } from './support/orders.js';

const platform = (query: string) => [...new URLSearchParams(query)];

test('queryPairs lists what URLSearchParams lists, for hand-picked and random queries', () => {
  const picked = [
    '',
    'limit=100&after=200',
    'limit=100&limit=5',
    '&&limit=1&&',
    '=',
    '==x',
    'a',
    'a=',
    '=b',
    'a=b=c',
    'a&b=&=c',
    'name=caf%C3%A9&x=%ZZ&y=1+2',
    'é=ü&✓',
    '%',
    '+',
    // What the server passes on for `/v1/products??limit=1`: URLSearchParams drops one leading `?`.
    '?limit=1',
    '??limit=1',
    '?',
    '?&a=?',
    'a=1&?b=2',
  ];
  for (const query of picked) assert.deepEqual(queryPairs(query), platform(query), query);
  const next = random(7);
  const alphabet = ['a', 'b', '1', '0', '=', '&', '%', '+', '2', 'F', 'é', ' ', '?'];
  for (let i = 0; i < 5_000; i++) {
    const length = next(16);
    let query = '';
    for (let c = 0; c < length; c++) query += alphabet[next(alphabet.length)];
    assert.deepEqual(queryPairs(query), platform(query), JSON.stringify(query));
  }
});

test('decimalValue takes 1 to maxDigits ASCII digits and nothing else', () => {
  assert.equal(decimalValue('0', 4), 0);
  assert.equal(decimalValue('0100', 4), 100);
  assert.equal(decimalValue('999999999999999', 15), 999_999_999_999_999);
  for (const bad of ['', '10000', '1e3', '-1', ' 1', '1 ', '0x1', '١', '1.0', '+1'])
    assert.equal(decimalValue(bad, 4), undefined, JSON.stringify(bad));
  // A record id has one spelling: no leading zero.
  assert.equal(recordId('42'), 42);
  for (const bad of ['0', '042', '', '1234567890123456', 'x'])
    assert.equal(recordId(bad), undefined, JSON.stringify(bad));
});
