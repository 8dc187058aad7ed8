import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { authenticateUser } from '@tandem/accounts';
import { openOrm } from '@tandem/models';
import { createTestDatabase, testDialect, type TestDatabase } from '@tandem/models/testing';
import { APPLIER, RELAY, SERVICES, partitionBuilt, type ServiceSpec } from '../src/start/services.js';

const bin = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const { missing } = partitionBuilt(SERVICES);
// The root `npm test` builds every workspace first (turbo); a missing service is a failure, never a skip.
const notBuilt = `not built: ${missing.map((service) => service.entry).join(', ')}; run \`npm run build\` first`;

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
  // With REDIS_URL set, the write queue (the fast service's and the applier's) is in Redis: keys of its own.
  env.WRITE_REDIS_PREFIX = `tandem-start-test:${process.pid}:${Date.now()}:writes`;
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
  /** Resolves with the match once stdout shows `pattern`; rejects if `tandem start` exits first. */
  stdoutShows(pattern: RegExp): Promise<RegExpExecArray>;
}

/**
 * Spawns `tandem start` (or, with `viaShell`, a shell running that command line from the repository's
 * root) and waits until it prints its banner (services up) or exits (nothing to run).
 */
async function startTandem(
  extraEnv: NodeJS.ProcessEnv = {},
  viaShell?: string,
): Promise<Started & { bannerShown: boolean }> {
  const child =
    viaShell === undefined
      ? spawn(process.execPath, [bin, 'start'], {
          env: { ...env, ...extraEnv },
          cwd: dataDir,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn('sh', ['-c', viaShell], {
          env: { ...env, ...extraEnv },
          cwd: repoRoot,
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
  const stdoutShows = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(stdout);
        if (match) {
          child.stdout.off('data', check);
          resolve(match);
        }
        return match;
      };
      if (check()) return;
      child.stdout.on('data', check);
      void exited.then((code) => {
        if (!check())
          reject(new Error(`tandem start exited (${code}) before ${pattern}:\n${stdout}\n${stderr}`));
      });
    });
  return { child, exited, bannerShown, stdoutShows, output: () => ({ stdout, stderr }) };
}

/** The URLs the banner printed, by service name. */
function bannerUrls(stdout: string): Urls {
  const urls: Record<string, string> = {};
  for (const service of SERVICES) {
    const line = new RegExp(
      `^  ${service.name}\\s+(http://127\\.0\\.0\\.1:(\\d+)${service.homePath})$`,
      'm',
    ).exec(stdout);
    assert.ok(line, `${service.name} URL in the banner:\n${stdout}`);
    assert.notEqual(line[2], '0', 'the real port, not the configured 0');
    urls[service.name] = line[1]!;
  }
  return urls as Urls;
}

type Urls = Record<'admin' | 'auth' | 'fast', string>;

/** Each service gives its real answer, not merely "something below 500". */
async function assertServicesAnswer(urls: Urls): Promise<void> {
  await assertAdminAnswers(urls);
  await assertAuthAnswers(urls);
  await assertFastAnswers(urls);
}

async function assertAdminAnswers(urls: Urls): Promise<void> {
  const login = await fetch(`${urls.admin}/login`);
  assert.equal(login.status, 200, 'admin login page');
  const html = await login.text();
  assert.match(html, /<title>Tandem admin<\/title>/, 'the admin page');
  // AdminJS draws the form in the browser, from this state: the form posts to /admin/login.
  assert.match(html, /__APP_STATE__ = JSON\.parse\('\{"action":"\/admin\/login","errorMessage":null\}'\)/);
  assert.match(html, /root\.render\(LoginApplication\)/, 'the login application');
}

async function assertAuthAnswers(urls: Urls): Promise<void> {
  const discovery = await fetch(`${urls.auth}/.well-known/openid-configuration`);
  assert.equal(discovery.status, 200, 'auth discovery document');
  const document = (await discovery.json()) as { issuer: string; jwks_uri: string };
  assert.equal(document.issuer, urls.auth, 'the issuer is the URL auth listens on');
  assert.equal(document.jwks_uri, `${urls.auth}/.well-known/jwks.json`);
}

async function assertFastAnswers(urls: Urls): Promise<void> {
  const health = await fastHealth(urls.fast);
  assert.equal(health.status, 'ok');
  assert.equal(health.ready, true);
  // Auth was ready before fast started, so fast's JWKS fetch finds the signing keys.
  assert.ok(health.jwks.keys > 0, `fast knows the signing keys: ${JSON.stringify(health)}`);
}

interface FastHealth {
  status: string;
  ready: boolean;
  reason?: string;
  jwks: { keys: number };
}

/**
 * Fast's /healthz once it is 200. Fast reports ready when its snapshot is loaded; its /healthz stays
 * 503 "starting" (no signing keys yet) until its first JWKS fetch, which it makes at start, lands.
 */
async function fastHealth(url: string): Promise<FastHealth> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${url}/healthz`);
    const health = (await response.json()) as FastHealth;
    if (response.status === 200) return health;
    assert.equal(response.status, 503, `fast /healthz: ${JSON.stringify(health)}`);
    assert.equal(health.status, 'starting', `fast /healthz: ${JSON.stringify(health)}`);
    assert.ok(attempt < 300, `fast /healthz still 503: ${JSON.stringify(health)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The pid of each service `tandem start` runs (its direct children), by service name. */
function servicePids(tandemPid: number, services: readonly ServiceSpec[] = SERVICES): Record<string, number> {
  const listing = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(tandemPid)], { encoding: 'utf8' });
  const pids: Record<string, number> = {};
  for (const service of services) {
    const command = [service.entry, ...(service.args ?? [])].join(' ');
    const line = listing.split('\n').find((candidate) => candidate.includes(command));
    assert.ok(line, `${service.name} is a child of tandem start:\n${listing}`);
    pids[service.name] = Number.parseInt(line, 10);
  }
  return pids;
}

test(`start on a fresh ${testDialect()} database migrates, creates admin@localhost once, runs every service`, async () => {
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

  assert.deepEqual(missing, [], notBuilt);
  assert.equal(first.bannerShown, true, `no banner:\n${stdout}\n${stderr}`);
  const urls = bannerUrls(stdout);
  await assertServicesAnswer(urls);
  const login = await fetch(`${urls.admin}/login`, {
    method: 'POST',
    body: new URLSearchParams({ email: 'admin@localhost', password }),
    redirect: 'manual',
  });
  assert.equal(
    login.status,
    302,
    `the printed password logs in to the running admin:\n${first
      .output()
      .stdout.split('\n')
      .filter((line) => line.startsWith('admin'))
      .join('\n')}`,
  );
  assert.equal(login.headers.get('location'), '/admin');
  assert.match(login.headers.get('set-cookie') ?? '', /HttpOnly/i);

  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.output().stderr);
  assert.match(first.output().stdout, /Received SIGTERM; stopping/);
});

test('a second start reuses the database and key, prints no password, and brings back a killed service', async () => {
  const second = await startTandem();
  const { stdout } = second.output();
  assert.match(stdout, /is up to date/);
  assert.doesNotMatch(stdout, /password:/);
  assert.doesNotMatch(stdout, /Created a secret key/);
  assert.deepEqual(missing, [], notBuilt);
  assert.equal(second.bannerShown, true, `no banner:\n${stdout}\n${second.output().stderr}`);
  const urls = bannerUrls(stdout);
  const before = servicePids(second.child.pid!);

  process.kill(before.fast!, 'SIGKILL');
  // The others keep answering whether or not fast is back yet.
  await assertAdminAnswers(urls);
  await assertAuthAnswers(urls);
  const [, fastAgain] = await second.stdoutShows(/^tandem start: fast is ready again at (\S+)$/m);
  assert.equal(fastAgain, urls.fast, 'fast is back on the port it had');
  assert.match(
    second.output().stderr,
    /fast exited unexpectedly \(signal SIGKILL\); restarting it in 0\.5 s/,
  );
  await assertServicesAnswer(urls);
  const after = servicePids(second.child.pid!);
  assert.notEqual(after.fast, before.fast, 'a new fast process');
  assert.equal(after.admin, before.admin, 'admin kept running');
  assert.equal(after.auth, before.auth, 'auth kept running');

  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.output().stderr);
  assert.match(second.output().stdout, /Received SIGTERM; stopping/);
  for (const url of Object.values(urls)) await assert.rejects(fetch(url), `${url} is stopped`);
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

test('when tandem start is killed with SIGKILL, every service it ran stops too (the applier, and the relay with FEED=redis)', async () => {
  const withRelay = process.env.REDIS_URL !== undefined;
  const started = await startTandem(
    withRelay
      ? {
          FEED: 'redis',
          REDIS_URL: process.env.REDIS_URL,
          REDIS_STREAM_KEY: `tandem-start-test:${process.pid}:${Date.now()}`,
        }
      : {},
  );
  assert.equal(started.bannerShown, true, started.output().stderr);
  const pids = servicePids(started.child.pid!, [...SERVICES, ...(withRelay ? [RELAY] : []), APPLIER]);
  started.child.kill('SIGKILL');
  await started.exited;
  // They notice through their IPC channel closing; nothing to wait on but the processes themselves.
  for (const [name, pid] of Object.entries(pids)) {
    for (let attempt = 1; isRunning(pid); attempt++) {
      assert.ok(attempt < 300, `${name} (pid ${pid}) still runs after tandem start was killed`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});

test('npm start stops everything on SIGTERM: its script hands the shell over to tandem start', async () => {
  // npm passes SIGTERM to the shell running the script; a shell that waited for `node ... start` as a
  // child would die alone and leave tandem start and every service running. The build step is left out
  // (the suite runs after the build; another build here would rewrite dist under the other suites).
  const script = (
    JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts.start!;
  const launch = script.slice(script.lastIndexOf('&&') + 2).trim();
  assert.match(launch, /^exec node packages\/cli\/bin\/tandem\.js start$/);
  const started = await startTandem({}, `true && ${launch}`);
  assert.equal(started.bannerShown, true, started.output().stderr);
  const pids = servicePids(started.child.pid!, [...SERVICES, APPLIER]);
  started.child.kill('SIGTERM');
  assert.equal(await started.exited, 0, started.output().stderr);
  assert.match(started.output().stdout, /Received SIGTERM; stopping/);
  for (const [name, pid] of Object.entries(pids))
    assert.equal(isRunning(pid), false, `${name} (pid ${pid}) still runs`);
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
