import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from '@tandem/models/testing';
import { forkUntilReady, tandem } from './helpers.js';

const skip = !process.env.REDIS_URL && 'REDIS_URL is not set: the relay writes to a Redis Stream';

let db: TestDatabase;
let relay: ChildProcess | undefined;

before(async () => {
  if (skip) return;
  db = await createTestDatabase();
  const migrated = await tandem(['migrate'], { ...process.env, DATABASE_URL: db.url });
  assert.equal(migrated.code, 0, migrated.stderr);
});
after(async () => {
  relay?.kill('SIGKILL');
  await db?.drop();
});

// Started as `tandem start` starts it (an IPC channel to the parent), the relay must still stop on
// SIGTERM by itself: an open channel kept its event loop alive until the parent went away.
test('a relay with an IPC channel exits on SIGTERM', { skip, timeout: 20_000 }, async () => {
  const started = await forkUntilReady(
    'relay',
    {
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_STREAM_KEY: `tandem-relay-test:${process.pid}:${Date.now()}`,
      LOG_LEVEL: 'warn',
    },
    (child) => (relay = child),
  );
  const { type, service } = started.ready;
  assert.deepEqual({ type, service }, { type: 'ready', service: 'relay' });
  assert.equal(started.child.connected, true, 'the channel is still open while it runs');
  assert.deepEqual(await started.stop(), { code: 0, signal: null }, started.stderr());
});
