import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReadyMessage } from '../src/index.js';

const fixture = fileURLToPath(new URL('../../test/fixtures/echo-service.mjs', import.meta.url));
let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tandem-service-'));
  // An empty file is a new SQLite database, as `tandem migrate` leaves one before its first migration.
  closeSync(openSync(path.join(dir, 'db.sqlite'), 'w'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly ready: Promise<ReadyMessage>;
  output(): { stdout: string; stderr: string };
}

function run(env: Record<string, string> = {}): Run {
  const child = fork(fixture, [], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<ReadyMessage>((resolve, reject) => {
    child.once('message', (message) => resolve(message as ReadyMessage));
    void exited.then((code) => reject(new Error(`exited ${code} before ready:\n${stdout}\n${stderr}`)));
  });
  ready.catch(() => undefined);
  return { child, exited, ready, output: () => ({ stdout, stderr }) };
}

test('sends {type, service, url} once started, serves, and on SIGTERM closes the service and exits 0', async () => {
  const service = run();
  const ready = await service.ready;
  assert.deepEqual(Object.keys(ready).sort(), ['service', 'type', 'url']);
  assert.equal(ready.type, 'ready');
  assert.equal(ready.service, 'echo');
  assert.equal(await (await fetch(ready.url)).text(), 'echo');
  service.child.kill('SIGTERM');
  assert.equal(await service.exited, 0);
  assert.match(service.output().stdout, /echo closed/);
});

test('stops (exit 0) when the parent goes away: the IPC channel closes', async () => {
  const service = run();
  await service.ready;
  service.child.disconnect();
  assert.equal(await service.exited, 0);
  assert.match(service.output().stdout, /echo closed/);
});

test('a failed start: "<name>: failed to start: <reason>" on stderr, exit 1, no ready message', async () => {
  const service = run({ FIXTURE_FAIL: 'start' });
  await assert.rejects(service.ready);
  assert.equal(await service.exited, 1);
  assert.match(service.output().stderr, /^echo: failed to start: boom at start$/m);
});

test('a failure while getting ready closes what was started and exits 1', async () => {
  const service = run({ FIXTURE_FAIL: 'ready' });
  await assert.rejects(service.ready);
  assert.equal(await service.exited, 1);
  assert.match(service.output().stderr, /^echo: failed to become ready: boom while getting ready$/m);
  assert.match(service.output().stdout, /echo closed/);
});

test('a bad setting: one line naming it on stderr, exit 2', async () => {
  const service = run({ LOG_LEVEL: 'loudest' });
  await assert.rejects(service.ready);
  assert.equal(await service.exited, 2);
  assert.match(service.output().stderr, /^echo: configuration error: .*LOG_LEVEL/m);
});

test('a SQLite database that does not exist stops start-up (exit 1) naming it, and nothing is created', async () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'tandem-service-missing-'));
  try {
    const file = path.join(empty, 'typo.sqlite');
    const service = run({ DATABASE_URL: `sqlite:${file}` });
    // Stopped whatever happens: a service that started anyway would keep this test process alive.
    after(() => service.child.kill('SIGKILL'));
    await assert.rejects(service.ready);
    assert.equal(await service.exited, 1);
    assert.match(
      service.output().stderr,
      new RegExp(
        `^echo: failed to start: the SQLite database ${file} does not exist: run \`tandem migrate\``,
        'm',
      ),
    );
    assert.equal(existsSync(file), false);
    assert.deepEqual(readdirSync(empty), []);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
