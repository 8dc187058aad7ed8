import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import type { RunningService } from '../src/start/banner.js';
import { superviseServices, type SupervisedService } from '../src/start/supervisor.js';

// Plain JS fixtures live beside the sources (not compiled), so `node --test dist/test/` does not run them.
const fixture = (file: string) => fileURLToPath(new URL(`../../test/fixtures/${file}`, import.meta.url));
const STOP = 'SIGUSR2';

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

function start(
  services: SupervisedService[],
  overrides: { readyTimeoutMs?: number; stopTimeoutMs?: number } = {},
) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  let ready: RunningService[] | undefined;
  let announce: (running: RunningService[]) => void = () => {};
  const readyOnce = new Promise<RunningService[]>((resolve) => (announce = resolve));
  const exitCode = superviseServices(services, {
    env: process.env,
    stdout,
    stderr,
    readyTimeoutMs: overrides.readyTimeoutMs ?? 20_000,
    stopTimeoutMs: overrides.stopTimeoutMs ?? 10_000,
    stopSignals: [STOP],
    onReady(running) {
      ready = running;
      announce(running);
    },
  });
  return { readyOnce, exitCode, out, err, ready: () => ready };
}

test('every service reports ready, its URL is announced, and a stop signal stops all with exit 0', async () => {
  const run = start([
    { name: 'one', entry: fixture('ready-service.mjs') },
    { name: 'two', entry: fixture('ready-service.mjs') },
  ]);
  const running = await run.readyOnce;
  assert.deepEqual(
    running.map((service) => service.name),
    ['one', 'two'],
  );
  for (const service of running) {
    assert.match(service.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'trailing slash removed');
    const response = await fetch(service.url);
    assert.equal(await response.text(), 'ok');
  }
  process.kill(process.pid, STOP);
  assert.equal(await run.exitCode, 0);
  assert.match(run.out(), /^one \| fixture listening$/m, 'child output is relayed with the service name');
  for (const service of running) await assert.rejects(fetch(service.url), 'the children are gone');
  assert.equal(process.listenerCount(STOP), 0, 'signal handlers are removed');
});

test('a service that dies during start-up stops the others and exits 1 naming it', async () => {
  const run = start([
    { name: 'good', entry: fixture('ready-service.mjs') },
    { name: 'broken', entry: fixture('crashing-service.mjs') },
  ]);
  assert.equal(await run.exitCode, 1);
  assert.equal(run.ready(), undefined, 'no banner');
  assert.match(run.err(), /broken \| crashing-service: cannot listen/);
  assert.match(run.err(), /broken exited unexpectedly \(exit code 3\)/);
});

test('a service that never reports ready fails after the timeout; the others are stopped', async () => {
  const run = start(
    [
      { name: 'good', entry: fixture('ready-service.mjs') },
      { name: 'mute', entry: fixture('silent-service.mjs') },
    ],
    { readyTimeoutMs: 1500 },
  );
  assert.equal(await run.exitCode, 1);
  assert.match(run.err(), /mute did not report ready within 2 s/);
  assert.doesNotMatch(run.err(), /good did not/);
});

test('a service that ignores SIGTERM is killed after the stop timeout', async () => {
  const run = start([{ name: 'stubborn', entry: fixture('stubborn-service.mjs') }], { stopTimeoutMs: 500 });
  await run.readyOnce;
  process.kill(process.pid, STOP);
  assert.equal(await run.exitCode, 0);
  assert.match(run.err(), /stubborn did not stop within 0.5 s; killing it/);
});

test('a service that dies after start-up stops the others and exits 1', async () => {
  const run = start([
    { name: 'one', entry: fixture('ready-service.mjs') },
    { name: 'two', entry: fixture('ready-service.mjs') },
  ]);
  const [one, two] = await run.readyOnce;
  await fetch(`${one!.url}/crash`).catch(() => undefined);
  assert.equal(await run.exitCode, 1);
  assert.match(run.err(), /one exited unexpectedly \(exit code 5\)/);
  await assert.rejects(fetch(two!.url), 'the other service was stopped');
});
