/** The three-way comparison behind every admin save (src/orm/shown-values.ts), on its own. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonical, mergeWithShown, parseShown, shownParam } from '../src/orm/shown-values.js';

test('canonical: form text and stored values of every kind compare equal when they mean the same', () => {
  assert.equal(canonical('12'), canonical(12));
  assert.equal(canonical('true'), canonical(true));
  assert.equal(canonical(''), canonical(null));
  assert.equal(canonical(new Date('2026-12-05T10:00:00.000Z')), '2026-12-05T10:00:00.000Z');
  assert.equal(canonical(['1', '2']), canonical([1, 2]));
  assert.notEqual(canonical(['1', '2']), canonical(['2', '1']), 'a list keeps its order');
  assert.equal(canonical({ b: 1, a: '2' }), canonical({ a: 2, b: '1' }));
});

test('shownParam: every field of the flattened params, lists unflattened, itself left out', () => {
  const param = shownParam({ name: 'Spade', stock: 3, 'tags.0': 'garden', 'tags.1': 'steel', $shown: 'old' });
  assert.deepEqual(JSON.parse(param), { name: 'Spade', stock: '3', tags: '["garden","steel"]' });
});

test('parseShown: a JSON object of texts, or nothing; anything else is not one', () => {
  assert.equal(parseShown(undefined), undefined);
  assert.deepEqual({ ...parseShown('{"name":"Spade"}') }, { name: 'Spade' });
  for (const bad of [
    '',
    'x',
    'null',
    '[]',
    '"a"',
    '{"stock":3}',
    '{"a":{"b":"c"}}',
    42,
    ['{}'],
    { name: 'x' },
  ])
    assert.equal(parseShown(bad), null, JSON.stringify(bad));
  const hostile = parseShown('{"__proto__":"x","constructor":"y"}')!;
  assert.equal(Object.getPrototypeOf(hostile), null);
  assert.deepEqual(Object.keys(hostile), ['__proto__', 'constructor']);
  assert.equal(hostile.toString, undefined, 'no inherited names answer for a field');
});

test('mergeWithShown: untouched fields are left out, a field changed on both sides to different values conflicts', () => {
  const shown = { name: 'Spade', stock: '50', description: 'Old', priceCents: '100' };
  const current = { name: 'Spade', stock: 45, description: 'Old', priceCents: 200 };
  // The form changed the description and, to the value it now has anyway, the price.
  const merged = mergeWithShown(
    { name: 'Spade', stock: '50', description: 'New', priceCents: '200' },
    shown,
    current,
  );
  assert.deepEqual(merged, { untouched: ['name', 'stock'], conflicts: {} });

  const clash = mergeWithShown({ stock: '60', name: 'Shovel' }, shown, { ...current, name: 'Spade (steel)' });
  assert.deepEqual(clash.conflicts, {
    stock: { shown: '50', current: '45', submitted: '60' },
    name: { shown: 'Spade', current: 'Spade (steel)', submitted: 'Shovel' },
  });

  // A field the page did not show (a password input, a new field) is written as sent.
  assert.deepEqual(mergeWithShown({ password: 'x' }, shown, current), { untouched: [], conflicts: {} });
  // `toString` is not a field the page showed, whatever Object.prototype holds.
  assert.deepEqual(mergeWithShown({ toString: 'x' }, parseShown('{}')!, {}), {
    untouched: [],
    conflicts: {},
  });
});
