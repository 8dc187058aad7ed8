import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxmemoryPolicy, RedisEvictionGuard } from '../src/index.js';

/** A server as the guard sees it: `INFO memory` answers with the current policy, or fails. */
class FakeServer extends EventEmitter {
  policy: string | Error = 'noeviction';
  info(): Promise<string> {
    const policy = this.policy;
    return policy instanceof Error
      ? Promise.reject(policy)
      : Promise.resolve(`# Memory\r\nused_memory:1000\r\nmaxmemory:0\r\nmaxmemory_policy:${policy}\r\n`);
  }
}

test('maxmemoryPolicy reads the policy from INFO memory, and nothing from a reply without one', () => {
  assert.equal(
    maxmemoryPolicy('# Memory\r\nmaxmemory_policy:allkeys-lru\r\nallocator_frag_ratio:1.0\r\n'),
    'allkeys-lru',
  );
  assert.equal(maxmemoryPolicy('# Memory\r\nmaxmemory_human:0B\r\n'), undefined);
  assert.equal(
    maxmemoryPolicy('x_maxmemory_policy:allkeys-lru\r\n'),
    undefined,
    'the field, not a suffix of another',
  );
});

test('the guard judges at start and on every ready; an INFO it cannot get changes nothing', async () => {
  const server = new FakeServer();
  server.policy = 'volatile-lru';
  const guard = new RedisEvictionGuard(server, 'the queue');
  try {
    await guard.checked;
    assert.match(
      guard.hazard ?? '',
      /^Redis's maxmemory-policy is volatile-lru: .* the queue\. Set maxmemory-policy noeviction/,
    );

    server.policy = 'noeviction';
    server.emit('ready');
    await guard.checked;
    assert.equal(guard.hazard, undefined);

    server.policy = new Error('NOPERM this user has no permissions to run the info command');
    server.emit('ready');
    await guard.checked;
    assert.equal(guard.hazard, undefined, 'unjudged, as before');

    server.policy = 'allkeys-random';
    server.emit('ready');
    await guard.checked;
    assert.match(guard.hazard ?? '', /allkeys-random/);
    server.policy = new Error('connection lost');
    server.emit('ready');
    await guard.checked;
    assert.match(guard.hazard ?? '', /allkeys-random/, 'a failed ask does not clear a known hazard');
  } finally {
    guard.close();
  }
});
