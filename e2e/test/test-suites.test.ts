/**
 * npm test's suite runner (scripts/test-suites.mjs) on a scratch tree of stand-in workspaces: the
 * longest suites start first whatever their dependencies, N run at a time, and a failure stops new
 * starts and the run's exit code says so. Nothing here touches a database: SQLite pass only.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sqlitePassOnly } from '@tandem/models/testing';

const runner = fileURLToPath(new URL('../../../scripts/test-suites.mjs', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  /** Each suite's start and end, in the order they happened. */
  readonly events: string[];
}

describe(
  'npm test runs the workspaces suites longest first, two at a time',
  { skip: sqlitePassOnly('it runs stand-in suites that open no database') },
  () => {
    let root: string;
    const events = () => path.join(root, 'events.txt');

    /** A script that records its start as `label`, waits `ms`, records its end, exits `code`. */
    function stage(label: string, ms: number, code = 0) {
      const script =
        `const f = require('node:fs'); f.appendFileSync(${JSON.stringify(events())}, 'start ${label}\\n'); ` +
        `setTimeout(() => { f.appendFileSync(${JSON.stringify(events())}, 'end ${label}\\n'); process.exit(${code}); }, ${ms});`;
      return `node -e ${JSON.stringify(script)}`;
    }

    /**
     * A workspace whose test script is a stage of `ms` exiting `code`; with `parts`, one test:<part>
     * script each, and a test script the runner must not run (it exits 9).
     */
    function workspace(
      name: string,
      ms: number,
      code = 0,
      parts: Record<string, { ms: number; code?: number }> = {},
    ) {
      const dir = path.join(root, 'packages', name.replace('@tandem/', ''));
      mkdirSync(dir, { recursive: true });
      const scripts: Record<string, string> = { test: stage(name, ms, code) };
      if (Object.keys(parts).length > 0) scripts.test = 'exit 9';
      for (const [part, run] of Object.entries(parts))
        scripts[`test:${part}`] = stage(`${name}:${part}`, run.ms, run.code);
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, scripts }));
    }

    /** e2e as two parts, the longest suites here; `change` replaces a part's stage. */
    function e2eInParts(change: Record<string, { ms: number; code?: number }> = {}) {
      workspace('@tandem/e2e', 0, 0, { services: { ms: 4000 }, browser: { ms: 3000 }, ...change });
    }

    function run(...args: string[]): Promise<Run> {
      writeFileSync(events(), '');
      return new Promise((resolve) => {
        // Without the test runner's NODE_TEST_CONTEXT, which makes a nested `node --test` report to
        // this run instead of exiting with its own outcome.
        const env = { ...process.env };
        delete env.NODE_TEST_CONTEXT;
        execFile(process.execPath, [runner, `--root=${root}`, ...args], { env }, (error, stdout) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          const lines = readFileSync(events(), 'utf8').split('\n').filter(Boolean);
          resolve({ code, stdout, events: lines });
        });
      });
    }

    before(() => {
      root = mkdtempSync(path.join(tmpdir(), 'tandem-suites-'));
      writeFileSync(path.join(root, 'package.json'), JSON.stringify({ workspaces: ['packages/*'] }));
      // Names the runner's LONGEST_FIRST list ranks (e2e's two parts first, admin before log) and one
      // it does not.
      workspace('@tandem/log', 50);
      workspace('@tandem/admin', 300);
      workspace('@tandem/unlisted', 50);
      e2eInParts();
    });
    after(() => rmSync(root, { recursive: true, force: true }));

    test('the two longest start together, the short ones fill in behind, unlisted ones last', async () => {
      const { code, events, stdout } = await run('--concurrency=2');
      assert.equal(code, 0, stdout);
      // The order the runner started them in (its `started` line, printed as it spawns a suite). The
      // stand-ins' own start records can swap on a loaded machine: one spawned later may boot sooner.
      const starts = [...stdout.matchAll(/^(\S+):test: started$/gm)].map((match) => match[1]);
      // The two longest (e2e's parts, each a suite of its own) are started at once, before anything
      // ends; the workspace's own test script never runs.
      assert.deepEqual(starts.slice(0, 2), ['@tandem/e2e:browser', '@tandem/e2e:services']);
      assert.deepEqual(
        events.slice(0, 2).sort(),
        ['start @tandem/e2e:browser', 'start @tandem/e2e:services'],
        'both at once',
      );
      assert.deepEqual(starts.slice(2), ['@tandem/admin', '@tandem/log', '@tandem/unlisted']);
      assert.match(stdout, /^@tandem\/e2e:services:test: started$/m, "lines carry turbo's prefix");
      assert.match(stdout, /^ +\d+ s {2}ok {4}@tandem\/e2e:browser$/m, 'a wall time per part');
      assert.match(stdout, /^ +\d+ s {2}ok {4}@tandem\/log$/m, 'a wall time per suite at the end');
    });

    test('one at a time with --concurrency=1; --filter runs only the named workspaces', async () => {
      const { code, events } = await run('--concurrency=1', '--filter=@tandem/log', '--filter=@tandem/e2e');
      assert.equal(code, 0);
      assert.deepEqual(events, [
        'start @tandem/e2e:browser',
        'end @tandem/e2e:browser',
        'start @tandem/e2e:services',
        'end @tandem/e2e:services',
        'start @tandem/log',
        'end @tandem/log',
      ]);
    });

    test('--filter=<workspace>:<part> runs that part alone', async () => {
      const { code, events } = await run('--filter=@tandem/e2e:browser');
      assert.equal(code, 0);
      assert.deepEqual(events, ['start @tandem/e2e:browser', 'end @tandem/e2e:browser']);
    });

    test('after a failure no suite starts, the running one finishes, and the exit code is 1', async () => {
      e2eInParts({ browser: { ms: 50, code: 3 } });
      try {
        const { code, events, stdout } = await run('--concurrency=2');
        assert.equal(code, 1);
        assert.match(stdout, /FAIL {2}@tandem\/e2e:browser \(exit 3\)/);
        assert.match(
          stdout,
          /not started after the failure: @tandem\/admin, @tandem\/log, @tandem\/unlisted/,
        );
        assert.ok(events.includes('end @tandem/e2e:services'), 'the suite already running finished');
        assert.ok(!events.some((line) => /admin|log|unlisted/.test(line)), 'no new suite started');
      } finally {
        e2eInParts();
      }
    });

    test('a failed test is printed again at the end, with its error, after every suite has ended', async () => {
      // A real node --test run whose second test fails, in a part that ends before the other.
      const file = path.join(root, 'failing.test.mjs');
      writeFileSync(
        file,
        "import test from 'node:test';\n" +
          "test('passes', () => {});\n" +
          "test('outer', async (t) => { await t.test('inner breaks', () => { throw new Error('the reason it broke'); }); });\n",
      );
      const dir = path.join(root, 'packages', 'e2e');
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      manifest.scripts['test:browser'] = `node --test ${JSON.stringify(file)}`;
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest));
      try {
        const { code, stdout } = await run('--concurrency=2', '--filter=@tandem/e2e');
        assert.equal(code, 1);
        // After the last line any suite printed (each carries its `<suite>:test: ` prefix).
        const summary = stdout.slice(stdout.lastIndexOf(':test: '));
        assert.match(summary, /^failed in @tandem\/e2e:browser:$/m, stdout);
        assert.match(summary, /^ {2}not ok 1 - inner breaks$/m);
        assert.match(summary, /the reason it broke/);
        assert.match(summary, /^ {2}not ok 2 - outer$/m);
        assert.doesNotMatch(summary, /ok 1 - passes/, 'passing tests are not repeated');
      } finally {
        e2eInParts();
      }
    });

    test('a bad --concurrency or an unknown --filter is refused with exit 2 before anything runs', async () => {
      for (const args of [['--concurrency=0'], ['--filter=@tandem/nope']]) {
        const { code, events } = await run(...args);
        assert.equal(code, 2, args.join(' '));
        assert.deepEqual(events, []);
      }
    });
  },
);
