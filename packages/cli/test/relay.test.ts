import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tandem/models/testing';
import { tandem } from './helpers.js';

const bin = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));
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
  relay = fork(bin, ['relay'], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_STREAM_KEY: `tandem-relay-test:${process.pid}:${Date.now()}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  relay.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(relay, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const [message] = (await Promise.race([
    once(relay, 'message'),
    exited.then(() => assert.fail(`the relay exited before it was ready: ${stderr}`)),
  ])) as [{ type: string; service: string }];
  assert.deepEqual({ type: message.type, service: message.service }, { type: 'ready', service: 'relay' });
  assert.equal(relay.connected, true, 'the channel is still open while it runs');
  relay.kill('SIGTERM');
  const [code, signal] = await exited;
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
});
