/** HotWindow: which rows have been held longer than the window, by their latest arrival. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HotWindow } from '../src/data/hot-window.js';

test('a row expires a window after its latest arrival, once', () => {
  const window = new HotWindow(1000);
  window.arrived(1, 0);
  window.arrived(2, 100);
  window.arrived(1, 500); // changed again: its first arrival no longer counts
  assert.deepEqual(window.expired(1000), []);
  assert.deepEqual(window.expired(1101), [2]);
  assert.deepEqual(window.expired(1501), [1]);
  assert.deepEqual(window.expired(10_000), [], 'each row is handed out once');
  assert.equal(window.size, 0);
});

test('a deleted row is not handed out', () => {
  const window = new HotWindow(1000);
  window.arrived(1, 0);
  window.left(1);
  assert.deepEqual(window.expired(5000), []);
});

test('rows that keep arriving within the window stay, across compactions of the queue', () => {
  const window = new HotWindow(1000);
  for (let t = 0; t < 20_000; t++) {
    window.arrived(t % 400, t); // each id again every 400 ms, within the 1,000 ms window
    if (t % 97 === 0) assert.deepEqual(window.expired(t), [], `at ${t}`);
  }
  assert.equal(window.size, 400);
  const last = window.expired(100_000);
  assert.deepEqual(
    last.toSorted((a, b) => a - b),
    Array.from({ length: 400 }, (_, i) => i),
    'each once, after its last arrival',
  );
  assert.equal(window.size, 0);
});
