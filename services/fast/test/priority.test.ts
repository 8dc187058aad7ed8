import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMigratedDatabase } from '@tandem/models/testing';

const mainJs = fileURLToPath(new URL('../src/main.js', import.meta.url));
const linuxOnly = process.platform !== 'linux' && 'reads thread priorities from /proc (Linux only)';

/** The nice value of each thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces, start at field 3 (state).
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
before(async () => {
  db = await createMigratedDatabase();
});
after(() => db?.close());

/**
 * fast's main.ts as a child process; `prefix` runs it through other commands first (prlimit, setpriv),
 * which exec it with the same file descriptors, the IPC channel included.
 */
function startMain(
  env: Record<string, string>,
  options: { readonly uid?: number; readonly gid?: number; readonly prefix?: readonly string[] } = {},
) {
  const [command, ...args] = [...(options.prefix ?? []), process.execPath, mainJs];
  const child = spawn(command!, args, {
    env: { ...process.env, DATABASE_URL: db.url, FAST_PORT: '0', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    ...(options.uid !== undefined && { uid: options.uid, gid: options.gid }),
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  // Awaited only where the service should start.
  ready.catch(() => undefined);
  return { child, exited, ready, stderr: () => stderr };
}

/** SIGTERM, then the exit code (0 when the service stopped cleanly). */
async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  child.kill('SIGTERM');
  return exited;
}

test(
  'FAST_NICE: every thread of the fast service runs at that priority once it is ready',
  { skip: linuxOnly },
  async () => {
    const { child, exited, ready } = startMain({ FAST_NICE: '7' });
    let code: number | null;
    try {
      await ready;
      const nices = threadNices(child.pid!);
      // The main thread, V8's workers and the thread pool: the event loop is not the only one that works.
      assert.ok(nices.length > 1, `threads: ${nices.length}`);
      assert.deepEqual(new Set(nices), new Set([7]));
    } finally {
      code = await stop(child, exited);
    }
    assert.equal(code, 0, 'stopped cleanly on SIGTERM');
  },
);

test('FAST_NICE below 0 without the privilege: no start, exit 1, a message saying what to grant', async (t) => {
  // As root the test drops to nobody, whose nice rlimit (inherited, 0 here) forbids raising priority.
  const root = process.getuid?.() === 0;
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const niceLimit = Number(/^Max nice priority\s+(\d+)/m.exec(limits)?.[1] ?? 0);
  if (niceLimit > 20) return t.skip(`this process may raise its priority (nice rlimit ${niceLimit})`);
  const { exited, stderr } = startMain({ FAST_NICE: '-5' }, root ? { uid: 65534, gid: 65534 } : {});
  assert.equal(await exited, 1);
  assert.match(stderr(), /^fast: failed to start: FAST_NICE=-5: not permitted to raise the priority/m);
  assert.match(stderr(), /CAP_SYS_NICE/);
  assert.match(stderr(), /nice rlimit of at least 25/);
});

/** Why the rlimit test cannot run here, or false: it needs root allowed to raise a hard limit. */
function rlimitSkip(): string | false {
  if (linuxOnly) return linuxOnly;
  if (process.getuid?.() !== 0) return 'needs root to raise the nice rlimit and drop to nobody';
  const probe = spawnSync('prlimit', ['--nice=25', '--', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0)
    return `this root may not raise the nice rlimit (no CAP_SYS_RESOURCE?): ${(probe.stderr || String(probe.error)).trim()}`;
  return false;
}

test(
  'FAST_NICE below 0 with a nice rlimit instead of the capability: started as an unprivileged user',
  { skip: rlimitSkip() },
  async () => {
    // What `docker run --ulimit nice=25` or compose's `ulimits: { nice: 25 }` gives a non-root service.
    if (db.target.dialect === 'sqlite') {
      // The service's user owns its SQLite file (and the directory, where the WAL files go).
      const directory = path.dirname(db.target.path);
      chmodSync(directory, 0o777);
      for (const file of readdirSync(directory)) chmodSync(path.join(directory, file), 0o666);
    }
    const { child, exited, ready } = startMain(
      { FAST_NICE: '-5' },
      {
        prefix: ['prlimit', '--nice=25', '--', 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
      },
    );
    let code: number | null;
    try {
      await ready;
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      assert.match(status, /^Uid:\s+65534\s/m);
      assert.deepEqual(new Set(threadNices(child.pid!)), new Set([-5]));
    } finally {
      code = await stop(child, exited);
    }
    assert.equal(code, 0, 'stopped cleanly on SIGTERM');
  },
);

test('FAST_NICE out of range: exit 2 and one line naming the variable', async () => {
  const { exited, stderr } = startMain({ FAST_NICE: '-40' });
  assert.equal(await exited, 2);
  assert.match(stderr(), /FAST_NICE must be a whole number from -20 \(highest priority\) to 19/);
});
