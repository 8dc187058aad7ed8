import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { authenticateUser } from '@tandem/accounts';
import { openOrm } from '@tandem/models';
import { createTestDatabase, testDialect, type TestDatabase } from '@tandem/models/testing';
import { SERVICES, partitionBuilt } from '../src/start/services.js';

const bin = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));
const { built, missing } = partitionBuilt(SERVICES);

let db: TestDatabase;
let dataDir: string;
let env: NodeJS.ProcessEnv;
const running = new Set<ChildProcess>();

before(async () => {
  db = await createTestDatabase();
  dataDir = mkdtempSync(path.join(tmpdir(), 'tandem-start-'));
  env = {
    ...process.env,
    DATABASE_URL: db.url,
    TANDEM_DATA_DIR: path.join(dataDir, 'data'),
    LOG_LEVEL: 'warn',
  };
  env.ADMIN_PORT = env.AUTH_PORT = env.FAST_PORT = '0';
  env.HOST = '127.0.0.1';
  for (const name of [
    'TANDEM_SUPERUSER_EMAIL',
    'TANDEM_SUPERUSER_PASSWORD',
    'TANDEM_SECRET_KEY',
    'TOKEN_ISSUER',
    'JWKS_URL',
  ])
    delete env[name];
});
after(async () => {
  for (const child of running) child.kill('SIGKILL');
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  readonly child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Spawns `tandem start` and waits until it prints its banner (services up) or exits (nothing to run). */
async function startTandem(extraEnv: NodeJS.ProcessEnv = {}): Promise<Started & { bannerShown: boolean }> {
  const child = spawn(process.execPath, [bin, 'start'], {
    env: { ...env, ...extraEnv },
    cwd: dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const banner = new Promise<boolean>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('Press Ctrl-C to stop.')) resolve(true);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then(() => resolve(false));
  });
  const bannerShown = await banner;
  return { child, exited, bannerShown, output: () => ({ stdout, stderr }) };
}

test(`start on a fresh ${testDialect()} database migrates, creates admin@localhost once, runs the built services`, async () => {
  const first = await startTandem();
  const { stdout, stderr } = first.output();
  assert.match(stdout, /Applied \d+ migration\(s\)/);
  assert.match(stdout, /Created a secret key in /);
  const passwords = [...stdout.matchAll(/password: (\S+)/g)];
  assert.equal(passwords.length, 1, 'the one-time password is printed exactly once');
  const password = passwords[0]![1]!;
  assert.match(stdout, /admin@localhost/);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');

  const keyFile = path.join(dataDir, 'data', 'secret.key');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'the secret key is readable by its owner only');

  const orm = await openOrm(db.target);
  try {
    const admin = await authenticateUser(orm.em.fork(), 'admin@localhost', password);
    assert.equal(admin?.isSuperuser, true, 'the printed password logs in as a superuser');
  } finally {
    await orm.close(true);
  }

  if (built.length === 0) {
    assert.equal(first.bannerShown, false);
    assert.match(stdout, /No service is built yet/);
    assert.equal(await first.exited, 0);
    return;
  }
  assert.equal(first.bannerShown, true, `no banner:\n${stdout}\n${stderr}`);
  for (const service of built) {
    const line = new RegExp(
      `^  ${service.name}\\s+(http://127\\.0\\.0\\.1:(\\d+)${service.homePath})$`,
      'm',
    ).exec(stdout);
    assert.ok(line, `${service.name} URL in the banner:\n${stdout}`);
    assert.notEqual(line[2], '0', 'the real port, not the configured 0');
    const response = await fetch(line[1]!, { redirect: 'manual' });
    assert.ok(response.status < 500, `${service.name} answers at ${line[1]} (${response.status})`);
  }
  for (const service of missing)
    assert.match(stdout, new RegExp(`not built, not started: .*${service.name}`));
  const fastUrl = /^ {2}fast\s+(http:\S+)$/m.exec(stdout)?.[1];
  if (fastUrl && built.some((service) => service.name === 'auth')) {
    // Auth was ready before fast started, so fast's first JWKS fetch already found the signing keys.
    const health = (await (await fetch(`${fastUrl}/healthz`)).json()) as { jwks: { keys: number } };
    assert.ok(health.jwks.keys > 0, `fast knows the signing keys at start: ${JSON.stringify(health)}`);
  }

  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.output().stderr);
  assert.match(first.output().stdout, /Received SIGTERM; stopping/);
});

test('a second start reuses the database and key, and prints no password', async () => {
  const second = await startTandem();
  const { stdout } = second.output();
  assert.match(stdout, /is up to date/);
  assert.doesNotMatch(stdout, /password:/);
  assert.doesNotMatch(stdout, /Created a secret key/);
  if (second.bannerShown) second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.output().stderr);
});

test(
  'with FEED=redis, start also runs the relay the fast service reads from',
  { skip: !process.env.REDIS_URL && 'REDIS_URL is not set' },
  async () => {
    const started = await startTandem({
      FEED: 'redis',
      REDIS_URL: process.env.REDIS_URL,
      REDIS_STREAM_KEY: `tandem-start-test:${process.pid}:${Date.now()}`,
    });
    const { stdout } = started.output();
    assert.ok(started.bannerShown, started.output().stderr);
    assert.match(stdout, /Starting [a-z, ]*relay/);
    assert.match(stdout, /^ {2}relay +redis:\/\//m);
    started.child.kill('SIGTERM');
    assert.equal(await started.exited, 0, started.output().stderr);
  },
);
