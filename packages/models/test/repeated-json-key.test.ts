/**
 * repeatedJsonKey finds a key that one object holds twice, at any depth, and says where: the fast
 * service's write bodies and the auth service's JSON bodies refuse such a body instead of letting
 * JSON.parse keep the last value silently.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { repeatedJsonKey } from '../src/index.js';

describe('repeatedJsonKey', () => {
  test('a key twice in the top-level object, or in a nested one, with the pointer to that object', () => {
    assert.deepEqual(repeatedJsonKey('{"a":1,"a":2}'), { key: 'a', at: '' });
    assert.deepEqual(repeatedJsonKey('{"a":{"b":1},"a":2}'), { key: 'a', at: '' });
    assert.deepEqual(repeatedJsonKey('{"x":{"b":1,"b":[]}}'), { key: 'b', at: '/x' });
    assert.deepEqual(repeatedJsonKey('{"l":[{"q":1},{"q":1,"q":2}]}'), { key: 'q', at: '/l/1' });
    assert.deepEqual(repeatedJsonKey('[[1,2],[3],{"k":0,"k":0}]'), { key: 'k', at: '/2' });
    assert.deepEqual(repeatedJsonKey('{"a/b":{"~":{"z":1,"z":1}}}'), { key: 'z', at: '/a~1b/~0' });
  });

  test('keys are compared as JSON.parse reads them: escapes and whitespace do not hide a repeat', () => {
    assert.deepEqual(repeatedJsonKey('{"lines":1,"\\u006cines":2}'), { key: 'lines', at: '' });
    assert.deepEqual(repeatedJsonKey('{ "a" :1 ,\n\t"a"\r\n: 2 }'), { key: 'a', at: '' });
    assert.deepEqual(repeatedJsonKey('{"\\"":1,"\\"":2}'), { key: '"', at: '' });
  });

  test('no repeat: the same key in sibling objects, keys inside strings, string values equal to keys', () => {
    assert.equal(repeatedJsonKey('{"l":[{"q":1},{"q":2}]}'), undefined);
    assert.equal(repeatedJsonKey('{"a":"a","b":"a"}'), undefined);
    assert.equal(repeatedJsonKey('{"a":"{\\"a\\":1,\\"a\\":2}","b":"[\\"\\\\"}'), undefined);
    assert.equal(repeatedJsonKey('{"a":["a","a"],"b":{"a":1}}'), undefined);
    for (const text of ['1', '"a"', 'null', '[]', '{}', '[{},{}]'])
      assert.equal(repeatedJsonKey(text), undefined);
  });

  test('nothing JSON.stringify writes is ever reported (random nested values with awkward strings)', () => {
    const strings = ['', 'a', '"', '\\', '{', '}', '[', ']', ':', ',', '\\"', '"a":', 'é', '\u2028', '~/'];
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const value = (depth: number): unknown => {
      const kind = depth > 3 ? next(3) : next(5);
      if (kind === 0) return strings[next(strings.length)];
      if (kind === 1) return next(100);
      if (kind === 2) return null;
      if (kind === 3) return Array.from({ length: next(4) }, () => value(depth + 1));
      const object: Record<string, unknown> = {};
      for (let i = next(5); i > 0; i--) object[strings[next(strings.length)]!] = value(depth + 1);
      return object;
    };
    for (let i = 0; i < 2000; i++) {
      const text = JSON.stringify(value(0));
      assert.equal(repeatedJsonKey(text), undefined, text);
    }
  });
});
