/** What the generated client's doc comments say of a field that its TypeScript type cannot. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaComment } from '../src/generate/json-schema-type.js';

test('a date, a date-time, bounds and a pattern are spelled out; */ cannot end the comment', () => {
  assert.equal(
    schemaComment({ type: 'string', format: 'date' }),
    'A calendar date, YYYY-MM-DD, e.g. 2026-12-01.',
  );
  assert.equal(
    schemaComment({ type: 'string', format: 'date-time', description: 'When it opened.' }),
    'When it opened. ISO 8601 date-time in UTC, e.g. 2026-12-01T09:30:00.000Z.',
  );
  assert.equal(
    schemaComment({ type: 'string', maxLength: 5, pattern: 'a*/' }),
    'At most 5 characters. Matches /a*\\//.',
  );
  assert.equal(schemaComment({ type: 'integer' }), undefined);
});
