/**
 * The write-body check stops at the first error; the full report (every field's error, up to 50) is
 * built only for bodies of at most FULL_REPORT_BYTES, since collecting errors costs per error and a
 * large hostile body (thousands of bad items) made thousands of error objects per request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileWriteValidators, FULL_REPORT_BYTES } from '../src/writes/body-validator.js';

const validator = compileWriteValidators(
  new Map([
    [
      'orders',
      {
        create: {
          type: 'object',
          additionalProperties: false,
          required: ['lines'],
          properties: {
            note: { type: 'string', maxLength: 10 },
            lines: {
              type: 'array',
              maxItems: 100,
              items: {
                type: 'object',
                required: ['productId', 'quantity'],
                properties: { productId: { type: 'integer' }, quantity: { type: 'integer', minimum: 1 } },
              },
            },
          },
        },
      },
    ],
  ]),
).get('orders')!;

test('a small invalid body gets every error', () => {
  const body = { note: 'x'.repeat(20), lines: [{ productId: 'a', quantity: 0 }], extra: 1 };
  const errors = validator.check('create', body, JSON.stringify(body).length)!;
  assert.deepEqual(Object.keys(errors).sort(), ['extra', 'lines.0.productId', 'lines.0.quantity', 'note']);
});

test('a large invalid body gets its first error only, and a valid one passes at any size', () => {
  const lines = Array.from({ length: 6500 }, () => ({ q: 1 }));
  const body = { lines };
  const size = JSON.stringify(body).length;
  assert.ok(size > FULL_REPORT_BYTES);
  const errors = validator.check('create', body, size)!;
  assert.equal(Object.keys(errors).length, 1, JSON.stringify(errors));
  assert.equal(validator.check('create', { lines: [{ productId: 1, quantity: 2 }] }, size), undefined);
});
