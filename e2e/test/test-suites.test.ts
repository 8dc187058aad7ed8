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

    /** A workspace whose test script records its start, waits `ms`, records its end, exits `code`. */
    function workspace(name: string, ms: number, code = 0) {
      const dir = path.join(root, 'packages', name.replace('@tandem/', ''));
      mkdirSync(dir, { recursive: true });
      const script =
        `const f = require('node:fs'); f.appendFileSync(${JSON.stringify(events())}, 'start ${name}\\n'); ` +
        `setTimeout(() => { f.appendFileSync(${JSON.stringify(events())}, 'end ${name}\\n'); process.exit(${code}); }, ${ms});`;
      writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify({ name, private: true, scripts: { test: `node -e ${JSON.stringify(script)}` } }),
      );
    }

    function run(...args: string[]): Promise<Run> {
      writeFileSync(events(), '');
      return new Promise((resolve) => {
        execFile(process.execPath, [runner, `--root=${root}`, ...args], (error, stdout) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          const lines = readFileSync(events(), 'utf8').split('\n').filter(Boolean);
          resolve({ code, stdout, events: lines });
        });
      });
    }

    before(() => {
      root = mkdtempSync(path.join(tmpdir(), 'tandem-suites-'));
      writeFileSync(path.join(root, 'package.json'), JSON.stringify({ workspaces: ['packages/*'] }));
      // Names the runner's LONGEST_FIRST list ranks (e2e first, admin before log) and one it does not.
      workspace('@tandem/log', 50);
      workspace('@tandem/admin', 3000);
      workspace('@tandem/unlisted', 50);
      workspace('@tandem/e2e', 4000);
    });
    after(() => rmSync(root, { recursive: true, force: true }));

    test('the two longest start together, the short ones fill in behind, unlisted ones last', async () => {
      const { code, events, stdout } = await run('--concurrency=2');
      assert.equal(code, 0, stdout);
      const starts = events.filter((line) => line.startsWith('start ')).map((line) => line.slice(6));
      // The two longest are started at once (either may record its start first), before anything ends.
      assert.deepEqual(
        events.slice(0, 2).sort(),
        ['start @tandem/admin', 'start @tandem/e2e'],
        'both at once',
      );
      assert.deepEqual(starts.slice(2), ['@tandem/log', '@tandem/unlisted']);
      assert.match(stdout, /^@tandem\/e2e:test: started$/m, "lines carry turbo's prefix");
      assert.match(stdout, /^ +\d+ s {2}ok {4}@tandem\/log$/m, 'a wall time per suite at the end');
    });

    test('one at a time with --concurrency=1; --filter runs only the named workspaces', async () => {
      const { code, events } = await run('--concurrency=1', '--filter=@tandem/log', '--filter=@tandem/e2e');
      assert.equal(code, 0);
      assert.deepEqual(events, [
        'start @tandem/e2e',
        'end @tandem/e2e',
        'start @tandem/log',
        'end @tandem/log',
      ]);
    });

    test('after a failure no suite starts, the running one finishes, and the exit code is 1', async () => {
      workspace('@tandem/admin', 50, 3);
      try {
        const { code, events, stdout } = await run('--concurrency=2');
        assert.equal(code, 1);
        assert.match(stdout, /FAIL {2}@tandem\/admin \(exit 3\)/);
        assert.match(stdout, /not started after the failure: @tandem\/log, @tandem\/unlisted/);
        assert.ok(events.includes('end @tandem/e2e'), 'the suite already running finished');
        assert.ok(!events.some((line) => line.includes('@tandem/log')), 'no new suite started');
      } finally {
        workspace('@tandem/admin', 3000);
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
