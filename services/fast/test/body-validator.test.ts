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

test('dates and date-times are checked against the calendar, not rolled over as Date.parse does', () => {
  const dated = compileWriteValidators(
    new Map([
      [
        'notes',
        {
          create: {
            type: 'object',
            properties: {
              dueOn: { type: 'string', format: 'date' },
              at: { type: 'string', format: 'date-time' },
            },
          },
        },
      ],
    ]),
  ).get('notes')!;
  const check = (body: Record<string, string>) => dated.check('create', body, JSON.stringify(body).length);
  for (const dueOn of ['2026-02-28', '2024-02-29', '2026-12-31'])
    assert.equal(check({ dueOn }), undefined, dueOn);
  for (const dueOn of ['2026-02-30', '2027-02-29', '2026-04-31', '2026-13-01', '2026-1-5', 'tomorrow'])
    assert.ok(check({ dueOn })?.dueOn, dueOn);
  for (const at of ['2026-02-28T23:59:59Z', '2026-02-28T10:00:00.5+02:00'])
    assert.equal(check({ at }), undefined, at);
  for (const at of [
    '2026-02-30T10:00:00Z',
    '2026-02-28T24:00:00Z',
    '2026-02-28T10:60:00Z',
    '2026-02-28T10:00:00+25:00',
  ])
    assert.ok(check({ at })?.at, at);
});
