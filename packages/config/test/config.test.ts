import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from '../src/index.js';

test('defaults: SQLite under .data, loopback, ports 8000-8002', () => {
  const config = loadConfig({}, '/srv/app');
  assert.equal(config.database.dialect, 'sqlite');
  assert.equal(config.database.url, 'sqlite:/srv/app/.data/tandem.sqlite3');
  assert.equal(config.host, '127.0.0.1');
  assert.deepEqual(config.ports, { admin: 8000, auth: 8001, fast: 8002 });
});

test('DATABASE_URL selects PostgreSQL or another SQLite file', () => {
  const pg = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/shop' });
  assert.equal(pg.database.dialect, 'postgresql');
  assert.equal(pg.database.dialect === 'postgresql' && pg.database.database, 'shop');
  const lite = loadConfig({ DATABASE_URL: 'sqlite:/tmp/other.db' });
  assert.equal(lite.database.dialect === 'sqlite' && lite.database.path, '/tmp/other.db');
});

test('a bad value names the variable', () => {
  const cases: Record<string, string> = {
    ADMIN_PORT: 'abc',
    FAST_PORT: '70000',
    DATABASE_URL: 'mysql://x',
    LOG_LEVEL: 'loud',
    TANDEM_SECRET_KEY: 'short',
    LOGIN_THROTTLE_ATTEMPTS: '0',
  };
  for (const [variable, value] of Object.entries(cases)) {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === variable && error.message.startsWith(variable),
      variable,
    );
  }
});

test('empty optional values count as unset', () => {
  const config = loadConfig({ TANDEM_SUPERUSER_EMAIL: '', TANDEM_SECRET_KEY: '' });
  assert.equal(config.superuser.email, undefined);
  assert.equal(config.secretKey, undefined);
});
