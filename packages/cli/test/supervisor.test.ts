import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import type { RunningService } from '../src/start/banner.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from '../src/start/restart-policy.js';
import { superviseServices, type SupervisedService } from '../src/start/supervisor.js';
import { SERVICES } from '../src/start/services.js';
import { NODE_FLAGS } from '@tandem/config';

// Plain JS fixtures live beside the sources (not compiled), so `node --test dist/test/` does not run them.
const fixture = (file: string) => fileURLToPath(new URL(`../../test/fixtures/${file}`, import.meta.url));
const STOP = 'SIGUSR2';

function collect(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

/** Quick restarts so the tests do not wait for the production backoff; no assertion depends on it. */
const QUICK_RESTARTS: RestartPolicy = { ...DEFAULT_RESTART_POLICY, initialDelayMs: 20, maxDelayMs: 200 };

function start(
  services: SupervisedService[],
  overrides: {
    readyTimeoutMs?: number;
    stopTimeoutMs?: number;
    stopSignals?: NodeJS.Signals[];
    restart?: RestartPolicy;
  } = {},
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
    stopSignals: overrides.stopSignals ?? [STOP],
    restart: overrides.restart ?? QUICK_RESTARTS,
    onReady(running) {
      ready = running;
      announce(running);
    },
  });
  /**
   * Resolves with the match once the supervisor's stdout or stderr shows `pattern`; rejects if the
   * supervisor exits first (so a test waiting for a restart fails instead of hanging).
   */
  const output = (pattern: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(out()) ?? pattern.exec(err());
        if (!match) return false;
        stdout.off('data', onData);
        stderr.off('data', onData);
        resolve(match);
        return true;
      };
      const onData = () => setImmediate(check);
      if (check()) return;
      stdout.on('data', onData);
      stderr.on('data', onData);
      void exitCode.then((code) => {
        if (!check()) reject(new Error(`supervisor exited (${code}) before ${pattern}:\n${out()}\n${err()}`));
      });
    });
  return { readyOnce, exitCode, out, err, output, ready: () => ready };
}

async function pidOf(url: string): Promise<number> {
  return Number(await (await fetch(`${url}/pid`)).text());
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

test("a service is started with its Node.js flags, and each service's are @tandem/config's NODE_FLAGS", async () => {
  const run = start([
    { name: 'flagged', entry: fixture('ready-service.mjs'), nodeFlags: ['--no-memory-reducer'] },
  ]);
  const [service] = await run.readyOnce;
  const execArgv = (await (await fetch(`${service!.url}/exec-argv`)).json()) as string[];
  process.kill(process.pid, STOP);
  assert.equal(await run.exitCode, 0);
  assert.ok(execArgv.includes('--no-memory-reducer'), JSON.stringify(execArgv));
  for (const [name, flags] of Object.entries(NODE_FLAGS))
    assert.deepEqual(SERVICES.find((s) => s.name === name)?.nodeFlags, flags, name);
  assert.deepEqual(NODE_FLAGS.fast, ['--no-memory-reducer']);
});

test('a service that fails at every start is tried maxFailedStarts times, then everything stops with exit 1', async () => {
  const run = start([
    { name: 'good', entry: fixture('ready-service.mjs') },
    { name: 'broken', entry: fixture('crashing-service.mjs') },
  ]);
  assert.equal(await run.exitCode, 1);
  assert.equal(run.ready(), undefined, 'no banner');
  const tries = run.err().match(/broken \| crashing-service: cannot listen/g) ?? [];
  assert.equal(tries.length, QUICK_RESTARTS.maxFailedStarts, run.err());
  assert.match(
    run.err(),
    /broken exited unexpectedly \(exit code 3\); restarting it in 0\.02 s \(attempt 1\)/,
  );
  assert.match(
    run.err(),
    /broken exited unexpectedly \(exit code 3\); restarting it in 0\.04 s \(attempt 2\)/,
  );
  assert.match(
    run.err(),
    /broken exited unexpectedly \(exit code 3\) before reporting ready, 5 times in a row; giving up on it\. Stopping the other services\./,
  );
  assert.match(run.out(), /^good +\| fixture listening$/m, 'the healthy service was running');
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

test('a service killed with SIGKILL is restarted and ready again; the others keep running', async () => {
  const run = start([
    { name: 'one', entry: fixture('ready-service.mjs') },
    { name: 'two', entry: fixture('ready-service.mjs') },
  ]);
  const [one, two] = await run.readyOnce;
  const onePid = await pidOf(one!.url);
  const twoPid = await pidOf(two!.url);
  process.kill(onePid, 'SIGKILL');
  const [, url] = await run.output(/^tandem start: one is ready again at (\S+)$/m);
  assert.match(
    run.err(),
    /one exited unexpectedly \(signal SIGKILL\); restarting it in 0\.02 s \(attempt 1\)/,
  );
  const restartedPid = await pidOf(url!);
  assert.notEqual(restartedPid, onePid, 'a new process');
  assert.equal(await pidOf(two!.url), twoPid, 'the other service was left alone');

  // A second crash (an exit code this time) is restarted too, after a longer wait.
  await fetch(`${url}/crash`).catch(() => undefined);
  const [, urlAgain] = await run.output(/one is ready again at \S+\n[\s\S]*one is ready again at (\S+)\n/);
  assert.match(run.err(), /one exited unexpectedly \(exit code 5\); restarting it in 0\.04 s \(attempt 2\)/);
  assert.notEqual(await pidOf(urlAgain!), restartedPid);
  assert.equal(await pidOf(two!.url), twoPid, 'the other service is still the same process');

  process.kill(process.pid, STOP);
  assert.equal(await run.exitCode, 0);
});

test('SIGINT stops every service, restarted ones included, and exits 0', async () => {
  const run = start(
    [
      { name: 'one', entry: fixture('ready-service.mjs') },
      { name: 'two', entry: fixture('ready-service.mjs') },
    ],
    { stopSignals: ['SIGINT', 'SIGTERM', 'SIGHUP'] },
  );
  const [one, two] = await run.readyOnce;
  process.kill(await pidOf(one!.url), 'SIGKILL');
  const [, url] = await run.output(/^tandem start: one is ready again at (\S+)$/m);
  process.kill(process.pid, 'SIGINT');
  assert.equal(await run.exitCode, 0);
  assert.match(run.out(), /Received SIGINT; stopping one, two\.\.\./);
  for (const gone of [url!, two!.url]) await assert.rejects(fetch(gone), `${gone} is stopped`);
  assert.equal(process.listenerCount('SIGINT'), 0, 'the SIGINT handler is removed');
});
