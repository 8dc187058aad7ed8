import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeBodyHash, writePartition } from '../src/index.js';

test('writePartition: one record always maps to one partition, in range, the same in every process', () => {
  for (const partitions of [1, 4, 7, 256]) {
    for (const id of ['1', '42', '99999', 'ab:c']) {
      const p = writePartition('products', id, partitions, 0);
      assert.ok(Number.isInteger(p) && p >= 0 && p < partitions);
      for (let seq = 0; seq < 5; seq++) assert.equal(writePartition('products', id, partitions, seq), p);
    }
  }
  // Pinned values (FNV-1a of "collection/id"): a change of the hash would move the queued updates of a
  // record to another partition during an upgrade, where they could overtake each other.
  assert.equal(writePartition('products', '42', 1_000_000_000, 0), 838_164_172);
  assert.deepEqual(
    ['1', '2', '3', '4', '5', '6', '7', '8'].map((id) => writePartition('orders', id, 4, 0)),
    [0, 1, 2, 3, 0, 1, 2, 3],
  );
  const spread = new Set(Array.from({ length: 200 }, (_, i) => writePartition('products', String(i), 4, 0)));
  assert.equal(spread.size, 4, 'records spread over every partition');
});

test('writePartition: creates go round the partitions by sequence; bad partition counts are refused', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((seq) => writePartition('orders', null, 4, seq)),
    [0, 1, 2, 3, 0, 1],
  );
  assert.throws(() => writePartition('orders', null, 0, 1), RangeError);
  assert.throws(() => writePartition('orders', '1', 1.5, 1), RangeError);
});

test('writeBodyHash: sha256 hex over method, path and body; any difference changes it', () => {
  const body = Buffer.from('{"lines":[{"productId":1,"quantity":2}]}');
  const hash = writeBodyHash('POST', '/v1/orders', body);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(writeBodyHash('post', '/v1/orders', body), hash, 'method case does not matter');
  assert.notEqual(writeBodyHash('PATCH', '/v1/orders', body), hash);
  assert.notEqual(writeBodyHash('POST', '/v1/orders/1', body), hash);
  assert.notEqual(
    writeBodyHash('POST', '/v1/orders', Buffer.from('{"lines":[{"productId":1,"quantity":3}]}')),
    hash,
  );
  // The separator keeps path and body apart.
  assert.notEqual(
    writeBodyHash('POST', '/v1/a', Buffer.from('b')),
    writeBodyHash('POST', '/v1/ab', Buffer.from('')),
  );
});
