/**
 * BENCHMARKS.md keeps the full run's figures when a section is measured again on its own (`--only`):
 * the partial block goes before the full run's targets, replaces its own earlier version, and never
 * touches anything else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partialMarkers, splicePartial } from '../bench/report.js';

const FULL = [
  '# Benchmarks',
  '',
  '## SQLite',
  '',
  'full figures',
  '',
  '## Targets',
  '',
  '| a | b | yes |',
  '',
].join('\n');
const block = (text: string) => {
  const [start, end] = partialMarkers('writes');
  return `${start}\n## Re-measured on their own: writes\n\n${text}\n${end}`;
};

test('a partial block goes before the full run’s targets, the rest untouched', () => {
  const spliced = splicePartial(FULL, block('first'), 'writes');
  assert.ok(spliced.indexOf('first') < spliced.indexOf('## Targets'));
  assert.ok(spliced.indexOf('full figures') < spliced.indexOf('first'));
  assert.equal(spliced.replace(`${block('first')}\n\n`, ''), FULL);
});

test('a later partial run of the same sections replaces its block, not the full run', () => {
  const once = splicePartial(FULL, block('first'), 'writes');
  const twice = splicePartial(once, block('second'), 'writes');
  assert.ok(!twice.includes('first'));
  assert.equal(twice.split('<!-- partial run: writes -->').length, 2, 'one block');
  assert.equal(twice, once.replace('first', 'second'));
});

test('another set of sections gets its own block', () => {
  const writes = splicePartial(FULL, block('writes figures'), 'writes');
  const [start, end] = partialMarkers('catalog');
  const both = splicePartial(writes, `${start}\ncatalog figures\n${end}`, 'catalog');
  assert.ok(both.includes('writes figures') && both.includes('catalog figures'));
});

test('a document without targets gets the block at its end', () => {
  assert.equal(splicePartial('# Benchmarks\n', block('x'), 'writes'), `# Benchmarks\n\n${block('x')}\n`);
});
