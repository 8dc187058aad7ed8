import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openOrm } from '@tandem/models';
import { createTestDatabase, testDialect, type TestDatabase } from '@tandem/models/testing';
import { commands } from '../src/commands/index.js';
import { tandem } from './helpers.js';

const bin = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));

let db: TestDatabase;
let env: NodeJS.ProcessEnv;
before(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
});
after(() => db.drop());

test(`migrate on an empty ${testDialect()} database applies the migrations, then has nothing to do`, async () => {
  const first = await tandem(['migrate'], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /Applied \d+ migration\(s\)/);
  assert.match(first.stdout, /Migration\d+_initial/);
  const second = await tandem(['migrate'], env);
  assert.equal(second.code, 0);
  assert.match(second.stdout, /No migrations to apply/);
});

test(
  'a DATABASE_URL naming a PostgreSQL database that does not exist: refused, and no database is made',
  {
    skip:
      testDialect() !== 'postgresql' &&
      'PostgreSQL only (set DATABASE_URL): a new SQLite file is a new database',
  },
  async () => {
    const missing = new URL(db.url);
    const name = `${missing.pathname.slice(1)}_typo`;
    missing.pathname = `/${name}`;
    const exists = async () => {
      const orm = await openOrm(db.target);
      try {
        const rows = await orm.em
          .getConnection()
          .execute('select 1 from pg_database where datname = ?', [name]);
        return rows.length === 1;
      } finally {
        await orm.close(true);
      }
    };
    for (const command of ['migrate', 'showmigrations']) {
      const run = await tandem([command], { ...env, DATABASE_URL: missing.toString() });
      assert.equal(run.code, 1, command);
      assert.match(run.stderr, new RegExp(`The database "${name}" does not exist: create it first`), command);
      assert.equal(await exists(), false, `${command} made no database`);
    }
  },
);

test('without DATABASE_URL the SQLite database goes into TANDEM_DATA_DIR, beside the secret key', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'tandem-data-dir-'));
  try {
    const run = spawnSync(process.execPath, [bin, 'migrate'], {
      cwd,
      env: { PATH: process.env.PATH, TANDEM_DATA_DIR: 'state', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const file = path.join(cwd, 'state', 'tandem.sqlite3');
    assert.match(run.stdout, new RegExp(`Applied \\d+ migration\\(s\\) to sqlite:${file}`));
    assert.ok(existsSync(file), `${file} exists`);
    assert.equal(existsSync(path.join(cwd, '.data')), false, 'nothing in ./.data');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

// Every command of the table, so a command added to commands/index.ts is covered without a new test.
test('help lists every command with its summary; help <command> and <command> --help show its usage', async () => {
  assert.ok(commands.length > 0);
  const help = await tandem(['help'], env);
  assert.equal(help.code, 0);
  for (const command of commands) {
    const line = help.stdout.split('\n').find((text) => text.startsWith(`  ${command.name} `));
    assert.ok(line, `tandem help lists ${command.name}:\n${help.stdout}`);
    assert.ok(line.endsWith(command.summary), `${line} ends with the summary`);
    const own = await tandem(['help', command.name], env);
    assert.equal(own.code, 0);
    assert.equal(own.stdout, `Usage: tandem ${command.usage}\n\n${command.summary}\n`);
    // As Django's `manage.py migrate --help`: the same text, nothing run (a bad setting is not read).
    for (const flag of ['--help', '-h']) {
      const asked = await tandem([command.name, flag], { ...env, DATABASE_URL: 'mysql://nope' });
      assert.equal(asked.code, 0, `${command.name} ${flag}: ${asked.stderr}`);
      assert.equal(asked.stdout, own.stdout);
    }
  }
  const unknownTopic = await tandem(['help', 'nosuch'], env);
  assert.equal(unknownTopic.code, 2);
  assert.match(unknownTopic.stderr, /^tandem: unknown command "nosuch"/);
  const listed = help.stdout.split('\n').filter((text) => /^ {2}\S/.test(text));
  assert.equal(listed.length, commands.length, 'help lists nothing but the commands');
});

test('every command refuses an unknown option with exit 2 and its usage, before doing anything', async () => {
  for (const command of commands) {
    const run = await tandem([command.name, '--no-such-option'], env);
    assert.equal(run.code, 2, `${command.name}: ${run.stderr}`);
    assert.equal(run.stdout, '', `${command.name} wrote to stdout`);
    assert.match(run.stderr, new RegExp(`^tandem ${command.name}: .*--no-such-option`), command.name);
    assert.ok(run.stderr.endsWith(`Usage: tandem ${command.usage}\n`), `${command.name}: ${run.stderr}`);
  }
});

test('an unknown command and bad options exit with 2; a bad setting names the variable', async () => {
  const unknown = await tandem(['frobnicate'], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const badOption = await tandem(['migrate', '--fake'], env);
  assert.equal(badOption.code, 2);
  assert.match(badOption.stderr, /Usage: tandem migrate/);
  const badConfig = await tandem(['migrate'], { ...env, DATABASE_URL: 'mysql://nope' });
  assert.equal(badConfig.code, 2);
  assert.match(badConfig.stderr, /DATABASE_URL/);
});

test('the bin runs as a real process: exit codes and one-line errors without stack traces', () => {
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env, ...extra },
      encoding: 'utf8',
    });
  const migrate = run(['migrate']);
  assert.equal(migrate.status, 0, migrate.stderr);
  const unknown = run(['nope']);
  assert.equal(unknown.status, 2);
  const failed = run(['createsuperuser', '--no-input'], {
    TANDEM_SUPERUSER_EMAIL: '',
    TANDEM_SUPERUSER_PASSWORD: '',
  });
  assert.equal(failed.status, 1);
  assert.equal(failed.stderr.trim().split('\n').length, 1, failed.stderr);
  assert.doesNotMatch(failed.stderr, /\s+at /);
});
