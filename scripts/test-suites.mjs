#!/usr/bin/env node
/* global process, console, URL -- Node's globals: the repo's ESLint config gives them to TypeScript only */
/**
 * npm test's second step (after `turbo run build`): every workspace's `test` script, N at a time
 * (--concurrency, default 2: one per core on CI's 2-core machines), the longest suites first.
 *
 * Why not `turbo run test --concurrency=2`: Turborepo starts the suites in the order their build
 * dependencies finish, so the workspaces that depend on everything (e2e, the services: the longest
 * suites) started last, and the pass ended with one of them running alone on one core while the
 * other idled; with `--only` its order is random. Here the longest start first (LONGEST_FIRST, from
 * measured suite times) and the short ones fill in around them (longest-processing-time-first).
 *
 * A suite is a workspace's `test` script, or, where a workspace splits its tests into parts, each of
 * its `test:<part>` scripts (a suite named `<workspace>:<part>`; its `test` script runs them all, for
 * people): e2e's browser tests and the rest took 13 minutes as one suite, longer than everything else
 * together on the other core.
 *
 * Output is streamed line by line with turbo's `<suite>:test: ` prefix; at the end each suite's
 * wall time and outcome is listed, and every failed test again with its error (TAP's `not ok` and
 * the YAML block under it): CI shows only the end of a long log, where a failure far above was lost.
 * After a failure no new suite starts (as turbo does), the running ones finish, and the exit code
 * is 1. `--filter=<name>` (repeatable) runs only the named workspaces (all their parts) or parts.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const rootOption = process.argv.slice(2).find((arg) => arg.startsWith('--root='));
/** The repository (--root=<dir> points it at another tree: e2e/test/test-suites.test.ts). */
const root = rootOption
  ? path.resolve(rootOption.slice('--root='.length))
  : fileURLToPath(new URL('..', import.meta.url));

/**
 * Suites by measured wall time, longest first (SQLite and PostgreSQL passes, 2-core machine; see
 * the commit that last changed this list). A workspace not listed runs after these, by name.
 */
const LONGEST_FIRST = [
  '@tandem/e2e:browser',
  '@tandem/e2e:services',
  '@tandem/auth',
  '@tandem/cli',
  '@tandem/fast',
  '@tandem/admin',
  '@tandem/writes',
  '@tandem/models',
  '@tandem/changefeed',
  '@tandem/tokens',
  '@tandem/accounts',
  '@tandem/service',
  '@tandem/two-factor',
  '@tandem/client',
  '@tandem/config',
  '@tandem/log',
];

function option(name) {
  return process.argv
    .slice(2)
    .filter((arg) => arg.startsWith(`--${name}=`))
    .map((arg) => arg.slice(name.length + 3));
}

/** The suites of the workspaces (from the root package.json's globs) that have a test script. */
function suites() {
  const { workspaces } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const dirs = workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(path.join(root, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => path.join(root, pattern.slice(0, -2), entry.name))
      : [path.join(root, pattern)],
  );
  return dirs
    .filter((dir) => existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.scripts?.test)
    .flatMap(({ dir, manifest }) => {
      const parts = Object.keys(manifest.scripts).filter((script) => script.startsWith('test:'));
      if (parts.length === 0) return [{ name: manifest.name, workspace: manifest.name, dir, script: 'test' }];
      return parts.map((script) => ({
        name: `${manifest.name}:${script.slice('test:'.length)}`,
        workspace: manifest.name,
        dir,
        script,
      }));
    });
}

function inOrder(suites) {
  const rank = (name) => {
    const index = LONGEST_FIRST.indexOf(name);
    return index === -1 ? LONGEST_FIRST.length : index;
  };
  return [...suites].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/** Writes a stream's complete lines with the prefix as they arrive, and hands each to `onLine`. */
function prefixed(stream, prefix, out, onLine = () => {}) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      out.write(`${prefix}${line}\n`);
      onLine(line);
    }
  });
  stream.on('end', () => {
    if (!pending) return;
    out.write(`${prefix}${pending}\n`);
    onLine(pending);
  });
}

/** Lines kept of one failure's YAML block (its error and the top of its stack). */
const FAILURE_LINES = 40;

/**
 * Collects the failed tests from a TAP stream (node --test's reporter when its output is not a
 * terminal): each `not ok` line with the YAML block under it, up to the block's closing `...`.
 */
function failureCollector() {
  const failures = [];
  let current = null;
  return {
    failures,
    onLine(line) {
      if (current) {
        if (current.lines.length < FAILURE_LINES) current.lines.push(line);
        if (line === `${current.indent}  ...`) current = null;
        return;
      }
      const failed = /^(\s*)not ok \d+ - /.exec(line);
      if (!failed) return;
      current = { indent: failed[1], lines: [line] };
      failures.push(current);
    },
  };
}

const running = new Set();

function runSuite({ name, dir, script }) {
  const started = Date.now();
  const prefix = `${name}:test: `;
  process.stdout.write(`${prefix}started\n`);
  // Its own process group, so that an interrupted run can end the suite's whole tree (the test
  // files and the services they started).
  const child = spawn('npm', ['run', script], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  const collector = failureCollector();
  prefixed(child.stdout, prefix, process.stdout, collector.onLine);
  prefixed(child.stderr, prefix, process.stderr);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({
        name,
        ok: code === 0,
        code: code ?? signal,
        seconds: (Date.now() - started) / 1000,
        failures: collector.failures,
      });
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    }
    process.exit(1);
  });
}

const filters = option('filter');
const concurrency = Number(option('concurrency')[0] ?? 2);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error('--concurrency must be a whole number of suites at a time, 1 or more');
  process.exit(2);
}
const all = suites();
const named = (suite, name) => suite.name === name || suite.workspace === name;
const unknown = filters.filter((name) => !all.some((suite) => named(suite, name)));
if (unknown.length) {
  console.error(`no workspace or part with a test script named: ${unknown.join(', ')}`);
  process.exit(2);
}
const queue = inOrder(
  filters.length ? all.filter((suite) => filters.some((name) => named(suite, name))) : all,
);
const results = [];
let failed = false;
const passStarted = Date.now();
await Promise.all(
  Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
    while (!failed && queue.length) {
      const result = await runSuite(queue.shift());
      results.push(result);
      if (!result.ok) failed = true;
    }
  }),
);

for (const result of results.filter((r) => r.failures.length)) {
  console.log(`\nfailed in ${result.name}:`);
  for (const failure of result.failures) {
    for (const line of failure.lines) console.log(`  ${line.slice(failure.indent.length)}`);
  }
}

console.log(`\nsuites (${concurrency} at a time, longest first): wall time each`);
for (const result of results) {
  console.log(
    `  ${result.seconds.toFixed(0).padStart(5)} s  ${result.ok ? 'ok  ' : 'FAIL'}  ${result.name}` +
      (result.ok ? '' : ` (exit ${result.code})`),
  );
}
const skipped = queue.map((suite) => suite.name);
if (skipped.length) console.log(`  not started after the failure: ${skipped.join(', ')}`);
console.log(`  ${((Date.now() - passStarted) / 1000).toFixed(0).padStart(5)} s  in all`);
process.exit(failed ? 1 : 0);
