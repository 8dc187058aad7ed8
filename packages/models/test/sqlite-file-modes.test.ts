/**
 * The SQLite database holds every password hash and session: a file (and -wal, -shm) another local
 * user could read would hand them over. Always SQLite (these are its files), in either suite pass.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDatabaseUrl } from '@tandem/config';
import { migrate, openOrm } from '../src/orm.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'tandem-modes-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

test('openOrm on a new SQLite path creates folders 0700 and the database, its -wal and -shm 0600', async () => {
  const folder = path.join(scratch, 'fresh', 'data');
  const file = path.join(folder, 'tandem.sqlite3');
  const orm = await openOrm(parseDatabaseUrl(`sqlite:${file}`));
  try {
    await migrate(orm);
    for (const suffix of ['-wal', '-shm'])
      assert.ok(existsSync(`${file}${suffix}`), `${suffix} exists while the database is open (WAL)`);
    assert.deepEqual(
      {
        parent: modeOf(path.dirname(folder)),
        folder: modeOf(folder),
        database: modeOf(file),
        wal: modeOf(`${file}-wal`),
        shm: modeOf(`${file}-shm`),
      },
      { parent: '700', folder: '700', database: '600', wal: '600', shm: '600' },
    );
  } finally {
    await orm.close(true);
  }
});

test('an existing database file and folder keep their modes (start warns about them instead)', async () => {
  const folder = path.join(scratch, 'existing');
  mkdirSync(folder);
  chmodSync(folder, 0o755);
  const file = path.join(folder, 'tandem.sqlite3');
  writeFileSync(file, '');
  chmodSync(file, 0o640);
  const orm = await openOrm(parseDatabaseUrl(`sqlite:${file}`));
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
  assert.deepEqual({ folder: modeOf(folder), database: modeOf(file) }, { folder: '755', database: '640' });
});

test('the in-memory database (makemigrations, schema tests) creates no file named :memory:', async () => {
  const cwd = process.cwd();
  process.chdir(scratch);
  try {
    const orm = await openOrm(
      { dialect: 'sqlite', path: ':memory:', url: 'sqlite::memory:' },
      { connect: false },
    );
    await orm.close(true);
    assert.equal(existsSync(path.join(scratch, ':memory:')), false);
  } finally {
    process.chdir(cwd);
  }
});
