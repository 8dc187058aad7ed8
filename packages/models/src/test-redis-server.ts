/**
 * A private `redis-server` for a test that must kill, restart or reconfigure Redis: the shared one
 * (REDIS_URL) serves other suites running beside it. One implementation for every workspace's tests
 * (writes, changefeed, e2e), so the readiness wait and the cleanup are fixed in one place.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './test-waiting.js';

let installed: boolean | undefined;

/**
 * Whether `redis-server` is on the PATH. Asked once, lazily: importing the testing entry must not
 * spawn a process for every test file that never needs a private server.
 */
export function redisServerInstalled(): boolean {
  if (installed === undefined) {
    try {
      execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
      installed = true;
    } catch {
      installed = false;
    }
  }
  return installed;
}

export interface PrivateRedisOptions {
  /**
   * Durable like a production queue must be: every write is in the append-only file before Redis
   * answers it (`appendfsync always`), so a SIGKILL loses nothing acknowledged and a restart finds it
   * all again. Default false: nothing persisted, a restart after a kill starts empty.
   */
  durable?: boolean;
}

export interface PrivateRedis {
  /** redis://127.0.0.1:<port> (the default user). */
  readonly url: string;
  readonly port: number;
  /** Starts it again on the same port and directory (after a kill); resolves once it answers PING. */
  start(): Promise<void>;
  /** Sends `signal` (default SIGKILL) to the server and waits for it to exit; a no-op if it is down. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills it and deletes its directory. Every caller ends with this. */
  destroy(): Promise<void>;
}

/** One raw PING over TCP: the testing entry does not depend on a Redis client. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      // "-LOADING ..." while it reads its append-only file: not ready yet.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-redis-'));
  const port = await freePort();
  const persistence = options.durable
    ? ['--appendonly', 'yes', '--appendfsync', 'always']
    : ['--appendonly', 'no'];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const running = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        ...persistence,
        '--save',
        '',
        '--daemonize',
        'no',
        '--logfile',
        path.join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    child = running;
    let failure: Error | undefined;
    exited = new Promise((resolve) => {
      running.once('exit', () => resolve());
      // A spawn failure (no binary) emits 'error'; unhandled it would crash the test process.
      running.once('error', (error) => {
        failure = error;
        resolve();
      });
    });
    // Fail fast when it exits (port taken, bad option) instead of waiting out the deadline.
    for (const deadline = Date.now() + 15_000; !(await answersPing(port));) {
      if (failure) throw new Error(`redis-server could not be started: ${failure.message}`);
      if (running.exitCode !== null || running.signalCode !== null)
        throw new Error(
          `redis-server on ${port} exited (${running.exitCode ?? running.signalCode}); see ${dir}`,
        );
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer PING in 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };

  try {
    await start();
  } catch (error) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    kill,
    async destroy() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
