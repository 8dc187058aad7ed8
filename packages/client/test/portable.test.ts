/**
 * The client must run in browsers as well as on Node 20: its compiled modules may import nothing from
 * Node (no `node:` modules, no Buffer/process), and `ws` only lazily, on a platform without WebSocket.
 * Its type declarations must not need @types/node or @types/ws either.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { reconnectDelay } from '../src/backoff.js';

const compiled = fileURLToPath(new URL('../src/', import.meta.url));
const files = (suffix: string) =>
  readdirSync(compiled, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith(suffix))
    .map((file) => ({ file, text: readFileSync(path.join(compiled, file), 'utf8') }));

test('compiled modules import nothing from Node, and ws only lazily', () => {
  const modules = files('.js');
  assert.ok(modules.length > 5);
  for (const { file, text } of modules) {
    assert.doesNotMatch(text, /from ['"]node:|require\(|\bBuffer\b|\bprocess\./, file);
    const staticImports = [...text.matchAll(/^import .* from ['"]([^'"]+)['"]/gm)].map((match) => match[1]!);
    for (const specifier of staticImports)
      assert.match(specifier, /^\.\.?\//, `${file} imports ${specifier}`);
  }
  const lazy = modules.filter(({ text }) => text.includes("import('ws')"));
  assert.deepEqual(
    lazy.map(({ file }) => file),
    ['websocket.js'],
  );
});

test('type declarations need neither @types/node nor @types/ws', () => {
  for (const { file, text } of files('.d.ts')) {
    assert.doesNotMatch(text, /['"]ws['"]|NodeJS\.|node:/, file);
  }
});

test('reconnect delays double up to the cap, jittered between half and all of it', () => {
  const options = { initialMs: 250, maxMs: 10_000 };
  const low = [1, 2, 3, 4, 5, 6, 7, 10].map((attempt) => reconnectDelay(attempt, options, () => 0));
  const high = [1, 2, 3, 4, 5, 6, 7, 10].map((attempt) => reconnectDelay(attempt, options, () => 0.999999));
  assert.deepEqual(low, [125, 250, 500, 1000, 2000, 4000, 5000, 5000]);
  assert.deepEqual(high, [250, 500, 1000, 2000, 4000, 8000, 10000, 10000]);
});
