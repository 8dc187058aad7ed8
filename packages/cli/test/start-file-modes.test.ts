/**
 * `tandem start` on a fresh data folder with the default database (SQLite inside it, whatever the suite
 * pass: the files under test are SQLite's): nothing it creates is readable by another local user, and
 * a database file that is gets a warning, as an exposed secret.key does.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));
let scratch: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;

before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'tandem-start-modes-'));
  dataDir = path.join(scratch, 'state', 'data');
  env = { ...process.env, TANDEM_DATA_DIR: dataDir, LOG_LEVEL: 'warn', HOST: '127.0.0.1' };
  env.ADMIN_PORT = env.AUTH_PORT = env.FAST_PORT = '0';
  env.WRITE_REDIS_PREFIX = `tandem-start-modes-test:${process.pid}:${Date.now()}:writes`;
  for (const name of [
    'DATABASE_URL',
    'TANDEM_SECRET_KEY',
    'TANDEM_SUPERUSER_EMAIL',
    'TANDEM_SUPERUSER_PASSWORD',
    'TOKEN_ISSUER',
    'JWKS_URL',
  ])
    delete env[name];
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs `tandem start` until its output matches `until` (or it exits), runs `whileRunning`, then stops
 * it with SIGTERM; returns what it printed.
 */
async function startUntil(
  until: (stdout: string, stderr: string) => boolean,
  whileRunning: () => void = () => {},
): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, 'start'], {
    env,
    cwd: scratch,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve) => {
    const check = () => {
      if (until(stdout, stderr)) resolve();
    };
    child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), check()));
    child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), check()));
    void exited.then(() => resolve());
  });
  try {
    whileRunning();
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return { stdout, stderr };
}

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);
const database = () => path.join(dataDir, 'tandem.sqlite3');

test('a first start creates the data folder 0700 and the database, its -wal and -shm 0600', async () => {
  let modes: Record<string, string> = {};
  const { stdout, stderr } = await startUntil(
    (out) => out.includes('Press Ctrl-C to stop.'),
    () => {
      // While the services hold the database open, in WAL mode: its -wal and -shm exist.
      for (const suffix of ['-wal', '-shm'])
        assert.ok(existsSync(`${database()}${suffix}`), `${suffix} exists while the services run`);
      modes = {
        'data folder': modeOf(dataDir),
        'secret.key': modeOf(path.join(dataDir, 'secret.key')),
        database: modeOf(database()),
        '-wal': modeOf(`${database()}-wal`),
        '-shm': modeOf(`${database()}-shm`),
      };
    },
  );
  assert.match(stdout, /Press Ctrl-C to stop\./, `${stdout}\n${stderr}`);
  assert.deepEqual(modes, {
    'data folder': '700',
    'secret.key': '600',
    database: '600',
    '-wal': '600',
    '-shm': '600',
  });
  assert.doesNotMatch(stderr, /readable by other users/);
});

test('start warns when the database file is readable by other users, in the words it uses for secret.key', async () => {
  chmodSync(database(), 0o644);
  // The warning comes before the migrations; the banner, long after it, ends the wait without one.
  const { stderr } = await startUntil(
    (out, err) => err.includes('readable by other users') || out.includes('Press Ctrl-C to stop.'),
  );
  assert.ok(
    stderr.includes(
      `tandem start: warning: ${database()} is readable by other users; run chmod 600 on it.\n`,
    ),
    stderr,
  );
  assert.ok(!stderr.includes('secret.key is readable'), 'the key file, still 0600, gets no warning');
});
