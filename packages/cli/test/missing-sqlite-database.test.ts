/**
 * Only `migrate` and `start` make a new SQLite database. Any other command given a path where there is
 * none (a typo in DATABASE_URL, another working directory) says so instead of leaving an empty file
 * there and failing later on a missing table.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tandem } from './helpers.js';

let dir: string;
let file: string;
let env: NodeJS.ProcessEnv;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tandem-missing-sqlite-'));
  file = path.join(dir, 'typo.sqlite3');
  env = {
    DATABASE_URL: `sqlite:${file}`,
    LOG_LEVEL: 'silent',
    TANDEM_SECRET_KEY: 'a-secret-key-for-the-missing-database-test-0123',
    TANDEM_PASSWORD: 'a-long-enough-password',
  };
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('commands other than migrate and start refuse a SQLite database that does not exist, creating nothing', async () => {
  const commands = [
    ['showmigrations'],
    ['keys', 'list'],
    ['keys', 'rotate'],
    ['createclient', 'Sync'],
    ['createuser', 'someone@example.com'],
    ['roles'],
  ];
  for (const argv of commands) {
    const result = await tandem(argv, env);
    assert.equal(result.code, 1, `${argv.join(' ')}: ${result.stdout}${result.stderr}`);
    assert.ok(
      result.stderr.includes(
        `the SQLite database ${file} does not exist: run \`tandem migrate\` to create it, or correct DATABASE_URL`,
      ),
      `${argv.join(' ')}: ${result.stderr}`,
    );
    assert.deepEqual(readdirSync(dir), [], `${argv.join(' ')} created nothing`);
  }
});

test('migrate creates it; then the same commands work on it', async () => {
  const migrated = await tandem(['migrate'], env);
  assert.equal(migrated.code, 0, migrated.stderr);
  assert.ok(existsSync(file));
  const shown = await tandem(['showmigrations'], env);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /\[X\] Migration/);
});

test('sqlite://name (a host where SQLAlchemy has a third slash) is refused, not migrated into /name', async () => {
  const name = `tandem-typo-${randomBytes(4).toString('hex')}.db`;
  const wrong = path.join('/', name);
  try {
    const result = await tandem(['migrate'], { ...env, DATABASE_URL: `sqlite://${name}` });
    assert.equal(result.code, 2, result.stdout);
    assert.ok(
      result.stderr.startsWith(
        `tandem: configuration error: DATABASE_URL "sqlite://${name}" names a host ("${name}"), which SQLite has no use for: write sqlite:${name} for a path relative to the working directory`,
      ),
      result.stderr,
    );
    assert.equal(existsSync(wrong), false, `${wrong} was not created`);
  } finally {
    rmSync(wrong, { force: true });
  }
});
