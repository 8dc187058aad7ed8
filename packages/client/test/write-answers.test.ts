/**
 * What a write's answer is taken for (writeResult, writeHeaders): pure functions of the status, the
 * headers and the body, so every shape the fast service answers with is checked here, including the
 * ones a live service rarely gives (a waited write whose record is not served, a broken 202).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../src/index.js';
import { writeHeaders, writeResult } from '../src/write-result.js';

const answer = (status: number, headers: Record<string, string>, text = '') => ({
  status,
  headers: new Headers(headers),
  text,
});

test('a waited write answered with the record (it has an ETag) or with its outcome row (none)', () => {
  const record = writeResult(
    answer(201, { etag: '"e1"', location: '/v1/orders/7' }, '{"id":7,"status":"pending"}'),
    'k1',
  );
  assert.deepEqual(record, {
    idempotencyKey: 'k1',
    replayed: false,
    state: 'applied',
    status: 201,
    record: { id: 7, status: 'pending' },
    etag: '"e1"',
    outcome: null,
    location: '/v1/orders/7',
  });
  // An unpublished product: applied, but the collection does not show it; the outcome row stands in.
  const outcome = writeResult(
    answer(
      201,
      { location: '/v1/products/9', 'idempotent-replayed': 'true' },
      '{"id":12,"status":"applied"}',
    ),
    'k2',
  );
  assert.equal(outcome.state, 'applied');
  assert.ok(outcome.state === 'applied');
  assert.deepEqual(
    [outcome.record, outcome.outcome, outcome.replayed],
    [null, { id: 12, status: 'applied' }, true],
  );
});

test('queued, deleted, and an answer that is neither is an ApiError', () => {
  assert.deepEqual(
    writeResult(answer(202, { location: '/v1/writes/5' }, '{"id":5,"status":"queued"}'), 'k'),
    {
      idempotencyKey: 'k',
      replayed: false,
      state: 'queued',
      status: 202,
      writeId: 5,
      location: '/v1/writes/5',
    },
  );
  assert.equal(writeResult(answer(204, {}), 'k').state, 'deleted');
  for (const broken of [
    answer(202, {}, '{"id":5}'),
    answer(202, { location: '/v1/writes/5' }, '{}'),
    answer(206, {}),
  ])
    assert.throws(
      () => writeResult(broken, 'k'),
      (error: unknown) => error instanceof ApiError && error.code === 'unexpected_response',
    );
});

test('the headers a write is sent with, and options refused before anything is sent', () => {
  const made = writeHeaders({}, 'application/json');
  assert.match(made.idempotencyKey, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(made.headers, {
    'idempotency-key': made.idempotencyKey,
    'content-type': 'application/json',
    prefer: 'wait=10',
  });
  assert.notEqual(writeHeaders({}).idempotencyKey, made.idempotencyKey, 'a fresh key per write');
  assert.deepEqual(writeHeaders({ idempotencyKey: 'order-42', wait: 0, ifMatch: '"v3"' }).headers, {
    'idempotency-key': 'order-42',
    'if-match': '"v3"',
  });
  for (const idempotencyKey of ['', 'two words', 'ü', 'x'.repeat(256)])
    assert.throws(() => writeHeaders({ idempotencyKey }), RangeError, JSON.stringify(idempotencyKey));
  for (const wait of [-1, 1.5, Number.NaN])
    assert.throws(() => writeHeaders({ wait }), RangeError, String(wait));
});
