import { readFileSync } from 'node:fs';
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

test('TANDEM_DATA_DIR moves the default SQLite database too; an explicit DATABASE_URL wins', () => {
  assert.equal(
    loadConfig({ TANDEM_DATA_DIR: '/var/lib/tandem' }, '/srv/app').database.url,
    'sqlite:/var/lib/tandem/tandem.sqlite3',
  );
  const relative = loadConfig({ TANDEM_DATA_DIR: 'state' }, '/srv/app').database;
  assert.equal(relative.dialect === 'sqlite' && relative.path, '/srv/app/state/tandem.sqlite3');
  assert.equal(
    loadConfig({ TANDEM_DATA_DIR: 'state', DATABASE_URL: 'sqlite:other.db' }, '/srv/app').database.url,
    'sqlite:/srv/app/other.db',
  );
});

test('DATABASE_URL selects PostgreSQL or another SQLite file', () => {
  const pg = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/shop' });
  assert.equal(pg.database.dialect, 'postgresql');
  assert.equal(pg.database.dialect === 'postgresql' && pg.database.database, 'shop');
  const lite = loadConfig({ DATABASE_URL: 'sqlite:/tmp/other.db' });
  assert.equal(lite.database.dialect === 'sqlite' && lite.database.path, '/tmp/other.db');
});

test('sqlite:///abs is an absolute path; sqlite://name (a host, not a path) is refused showing the spellings', () => {
  const three = loadConfig({ DATABASE_URL: 'sqlite:///tmp/other.db' }, '/srv/app').database;
  assert.equal(three.dialect === 'sqlite' && three.path, '/tmp/other.db');
  for (const [url, host, rest] of [
    ['sqlite://data.db', 'data.db', 'data.db'],
    ['sqlite://localhost/var/db.sqlite3', 'localhost', 'localhost/var/db.sqlite3'],
  ] as const) {
    assert.throws(
      () => loadConfig({ DATABASE_URL: url }, '/srv/app'),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError && error.variable === 'DATABASE_URL');
        assert.equal(
          error.message,
          `DATABASE_URL "${url}" names a host ("${host}"), which SQLite has no use for: write sqlite:${rest} ` +
            `for a path relative to the working directory, or sqlite:/absolute/path/${rest} ` +
            `(also sqlite:///absolute/path/${rest})`,
        );
        return true;
      },
      url,
    );
  }
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

test('the example manifests’ placeholder secret key is refused, saying how to make one', () => {
  const placeholder = readFileSync(
    new URL('../../../../infra/k8s/secret.example.yaml', import.meta.url),
    'utf8',
  ).match(/TANDEM_SECRET_KEY: (\S+)/)?.[1];
  assert.ok(placeholder && placeholder.length >= 32, 'the example holds a long enough placeholder');
  for (const value of [placeholder, placeholder.toUpperCase(), `x${placeholder}`])
    assert.throws(
      () => loadConfig({ TANDEM_SECRET_KEY: value }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.variable === 'TANDEM_SECRET_KEY' &&
        /example placeholder.*openssl rand/.test(error.message) &&
        !error.message.includes(value),
    );
  assert.equal(loadConfig({ TANDEM_SECRET_KEY: 'q'.repeat(40) }).secretKey, 'q'.repeat(40));
  // A refused secret is described, never repeated: the message reaches logs.
  for (const [variable, value] of [
    ['TANDEM_SECRET_KEY', 'short-but-secret'],
    ['REDIS_URL', 'http://:hunter2@redis'],
  ] as const)
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (error: unknown) =>
        error instanceof ConfigError && !error.message.includes(value) && /characters/.test(error.message),
      variable,
    );
});

test('empty optional values count as unset', () => {
  const config = loadConfig({ TANDEM_SUPERUSER_EMAIL: '', TANDEM_SECRET_KEY: '' });
  assert.equal(config.superuser.email, undefined);
  assert.equal(config.secretKey, undefined);
});

test('token settings: defaults, bounds, and errors that name the variable', () => {
  const defaults = loadConfig({ AUTH_PORT: '9001' });
  assert.equal(defaults.tokens.issuer, 'http://127.0.0.1:9001');
  assert.equal(defaults.tokens.audience, 'tandem');
  assert.equal(defaults.tokens.accessTokenTtlSeconds, 600);
  assert.equal(defaults.fast.jwksRefreshSeconds, 300);
  assert.equal(loadConfig({ JWKS_REFRESH_SECONDS: '60' }).fast.jwksRefreshSeconds, 60);
  assert.equal(
    loadConfig({ TOKEN_ISSUER: 'https://auth.example.com/' }).tokens.issuer,
    'https://auth.example.com',
  );
  const bad: Record<string, string>[] = [
    { ACCESS_TOKEN_TTL_SECONDS: '60' },
    { ACCESS_TOKEN_TTL_SECONDS: '3600' },
    { TOKEN_ISSUER: 'auth.example.com' },
    { TOKEN_ISSUER: 'https://auth.example.com/?x=1' },
    { SESSION_IDLE_TTL_SECONDS: '0' },
    { SESSION_IDLE_TTL_SECONDS: '100', SESSION_ABSOLUTE_TTL_SECONDS: '50' },
    { SIGNING_KEY_REFRESH_SECONDS: '0' },
    { JWKS_REFRESH_SECONDS: '0' },
    { JWKS_REFRESH_SECONDS: '3601' },
  ];
  for (const env of bad) {
    const variable = Object.keys(env)[0]!;
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => error instanceof ConfigError && error.message.startsWith(variable),
      JSON.stringify(env),
    );
  }
});

test('FEED=redis needs REDIS_URL, and REDIS_URL must be a redis URL', () => {
  assert.throws(
    () => loadConfig({ FEED: 'redis' }),
    (e: unknown) => e instanceof ConfigError && e.variable === 'REDIS_URL',
  );
  assert.throws(
    () => loadConfig({ REDIS_URL: 'http://x' }),
    (e: unknown) => e instanceof ConfigError && e.variable === 'REDIS_URL',
  );
  assert.throws(
    () => loadConfig({ FEED: 'kafka' }),
    (e: unknown) => e instanceof ConfigError && e.variable === 'FEED',
  );
  const config = loadConfig({ FEED: 'redis', REDIS_URL: 'redis://127.0.0.1:6379/3' });
  assert.equal(config.feed.source, 'redis');
  assert.deepEqual(config.feed.redis, {
    url: 'redis://127.0.0.1:6379/3',
    streamKey: 'tandem:changes',
    streamMaxLen: 100_000,
  });
});

test('a service entry point stops with exit code 2 and one line naming the variable', async () => {
  const { spawnSync } = await import('node:child_process');
  const script = `import('${new URL('../src/index.js', import.meta.url).href}').then((m) => m.loadConfigOrExit('fast', { FAST_PORT: 'abc' }))`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^fast: configuration error: FAST_PORT .*"abc"/);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
});

test('login throttle stages: account-wide and per-address limits default to 4 x the per-pair attempts', () => {
  const defaults = loadConfig({});
  assert.deepEqual(defaults.loginThrottle, {
    attempts: 5,
    accountAttempts: 20,
    addressAttempts: 20,
    accountSignIns: 100,
    windowSeconds: 900,
    redisUrl: undefined,
    redisKeyPrefix: 'tandem:login',
  });
  const set = loadConfig({
    LOGIN_THROTTLE_ATTEMPTS: '3',
    LOGIN_THROTTLE_ACCOUNT_ATTEMPTS: '50',
    LOGIN_THROTTLE_ADDRESS_ATTEMPTS: '',
    REDIS_URL: 'redis://127.0.0.1:6379',
  });
  assert.equal(set.loginThrottle.accountAttempts, 50);
  assert.equal(set.loginThrottle.addressAttempts, 12, 'empty counts as unset');
  assert.equal(set.loginThrottle.redisUrl, 'redis://127.0.0.1:6379');
  for (const variable of ['LOGIN_THROTTLE_ACCOUNT_ATTEMPTS', 'LOGIN_THROTTLE_ADDRESS_ATTEMPTS']) {
    assert.throws(
      () => loadConfig({ [variable]: '0' }),
      (error: unknown) => error instanceof ConfigError && error.variable === variable,
    );
  }
});

test('TRUSTED_PROXIES: comma-separated IPs and CIDR ranges; anything else names the variable', () => {
  assert.deepEqual(loadConfig({}).trustedProxies, []);
  assert.deepEqual(loadConfig({ TRUSTED_PROXIES: ' 10.0.0.1, 10.1.0.0/16,::1 ,loopback' }).trustedProxies, [
    '10.0.0.1',
    '10.1.0.0/16',
    '::1',
    'loopback',
  ]);
  for (const value of ['10.0.0.300', 'proxy.example.com', '10.0.0.0/33']) {
    assert.throws(
      () => loadConfig({ TRUSTED_PROXIES: value }),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === 'TRUSTED_PROXIES' && error.message.includes(value),
      value,
    );
  }
});

test('CORS_ALLOWED_ORIGINS: comma-separated origins; a path, a wildcard or a bare host names the variable', () => {
  assert.deepEqual(loadConfig({}).corsAllowedOrigins, []);
  assert.deepEqual(
    loadConfig({ CORS_ALLOWED_ORIGINS: ' https://app.example, http://localhost:5173 ,' }).corsAllowedOrigins,
    ['https://app.example', 'http://localhost:5173'],
  );
  for (const value of ['*', 'https://app.example/', 'https://app.example/path', 'app.example']) {
    assert.throws(
      () => loadConfig({ CORS_ALLOWED_ORIGINS: value }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'CORS_ALLOWED_ORIGINS',
      value,
    );
  }
});

test('CHANGE_RETENTION_SECONDS must outlive an access token: the TTL plus the leeway', () => {
  assert.equal(loadConfig({}).feed.retentionSeconds, 3600);
  assert.equal(
    loadConfig({ CHANGE_RETENTION_SECONDS: '605' }).feed.retentionSeconds,
    605,
    'the default TTL (600) + leeway (5)',
  );
  const refusals: Record<string, string>[] = [
    { CHANGE_RETENTION_SECONDS: '604' },
    { CHANGE_RETENTION_SECONDS: '900', ACCESS_TOKEN_TTL_SECONDS: '900' },
    { CHANGE_RETENTION_SECONDS: '610', TOKEN_LEEWAY_SECONDS: '30' },
  ];
  for (const env of refusals) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.variable === 'CHANGE_RETENTION_SECONDS' &&
        /at least ACCESS_TOKEN_TTL_SECONDS \+ TOKEN_LEEWAY_SECONDS \(\d+ \+ \d+ = \d+\)/.test(
          error.message,
        ) &&
        error.message.includes(`"${env.CHANGE_RETENTION_SECONDS}"`),
      JSON.stringify(env),
    );
  }
  assert.equal(
    loadConfig({
      CHANGE_RETENTION_SECONDS: '930',
      ACCESS_TOKEN_TTL_SECONDS: '900',
      TOKEN_LEEWAY_SECONDS: '30',
    }).feed.retentionSeconds,
    930,
  );
});

test('write path settings: defaults, REDIS_URL picks the Redis queue, bad values name the variable', () => {
  const defaults = loadConfig({});
  assert.deepEqual(defaults.writes, {
    partitions: 4,
    maxQueueDepth: 100_000,
    maxBodyBytes: 65_536,
    ratePerSecond: 50,
    rateBurst: 100,
    waitMaxSeconds: 30,
    batchSize: 200,
    retentionSeconds: 7 * 86_400,
    orderHoldSeconds: 3_600,
    orderHoldMaxUnits: 100,
    partitionLeaseMs: 10_000,
    redisUrl: undefined,
    redisKeyPrefix: 'tandem:writes',
  });
  const redis = loadConfig({
    REDIS_URL: 'redis://127.0.0.1:6379',
    WRITE_PARTITIONS: '8',
    WRITE_REDIS_PREFIX: 'shop:writes',
    WRITE_WAIT_MAX_SECONDS: '0',
    ORDER_HOLD_SECONDS: '0',
    ORDER_HOLD_MAX_UNITS: '0',
  });
  assert.equal(redis.writes.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(redis.writes.partitions, 8);
  assert.equal(redis.writes.redisKeyPrefix, 'shop:writes');
  assert.equal(redis.writes.waitMaxSeconds, 0);
  assert.equal(redis.writes.orderHoldSeconds, 0, 'a hold of 0: unpaid orders are never cancelled');
  assert.equal(redis.writes.orderHoldMaxUnits, 0, '0: no limit on the stock a buyer holds');
  const bad: Record<string, string> = {
    WRITE_PARTITIONS: '0',
    WRITE_QUEUE_MAX_DEPTH: '-1',
    WRITE_MAX_BODY_BYTES: '10',
    WRITE_RATE_PER_SECOND: '1.5',
    WRITE_RATE_BURST: '0',
    WRITE_WAIT_MAX_SECONDS: '301',
    WRITE_BATCH_SIZE: 'many',
    WRITE_RETENTION_SECONDS: '3600',
    WRITE_PARTITION_LEASE_MS: '100',
    WRITE_REDIS_PREFIX: ' ',
    ORDER_HOLD_SECONDS: '-60',
    ORDER_HOLD_MAX_UNITS: '2.5',
  };
  for (const [variable, value] of Object.entries(bad)) {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === variable && error.message.startsWith(variable),
      variable,
    );
  }
  assert.throws(() => loadConfig({ WRITE_RETENTION_SECONDS: '3600' }), /at least 86400 \(24 h\)/);
});

test('FAST_NICE: unset keeps the inherited priority; -20 to 19 taken; anything else names the variable', () => {
  assert.equal(loadConfig({}).fast.nice, undefined);
  assert.equal(loadConfig({ FAST_NICE: '' }).fast.nice, undefined);
  assert.equal(loadConfig({ FAST_NICE: '-10' }).fast.nice, -10);
  assert.equal(loadConfig({ FAST_NICE: '19' }).fast.nice, 19);
  for (const value of ['-21', '20', '1.5', 'high', '0x10; rm']) {
    assert.throws(
      () => loadConfig({ FAST_NICE: value }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.variable === 'FAST_NICE' &&
        /from -20 \(highest priority\) to 19/.test(error.message),
      value,
    );
  }
});

test("a refused setting says what it must be, in words (not the validator library's words)", () => {
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig({ NODE_ENV: 'test', ...env });
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    assert.fail(`${JSON.stringify(env)} was accepted`);
  };
  assert.equal(refusal({ HOST: '' }), 'HOST must not be empty (got "")');
  assert.equal(
    refusal({ TWO_FACTOR_REQUIRED_FOR_STAFF: 'True' }),
    'TWO_FACTOR_REQUIRED_FOR_STAFF must be one of true, false (got "True")',
  );
  assert.equal(refusal({ FAST_PORT: 'abc' }), 'FAST_PORT must be a number (got "abc")');
  assert.equal(refusal({ FAST_PORT: '1.5' }), 'FAST_PORT must be a whole number (got "1.5")');
  assert.equal(refusal({ FAST_PORT: '70000' }), 'FAST_PORT must be at most 65535 (got "70000")');
  assert.equal(refusal({ TOKEN_CACHE_SIZE: '0' }), 'TOKEN_CACHE_SIZE must be more than 0 (got "0")');
  assert.equal(refusal({ FEED: 'kafka' }), 'FEED must be one of database, redis (got "kafka")');
});
