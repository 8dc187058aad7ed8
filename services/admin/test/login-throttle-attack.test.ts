/**
 * Admin login throttling under attack, as an attacker would send it: 100 parallel guesses, a stranger
 * locking a member of staff out, guesses spread over many addresses, spoofed X-Forwarded-For, and other
 * spellings of a locked account's email. Memory store always; Redis (two admin instances sharing one
 * Redis) when REDIS_URL is set.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { startAdmin, type AdminServer } from '../src/server.js';
import { PASSWORD, startFixture, type Fixture } from './support.js';

const ATTEMPTS = 5;
const REDIS_URL = process.env.REDIS_URL;
const SECRET = 'test-secret-key-that-is-long-enough-0123456789';

/** One admin login POST (form, as the login page sends it), optionally through a proxy's header. */
async function login(origin: string, email: string, password: string, from?: string): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (from) headers['x-forwarded-for'] = from;
  const response = await fetch(`${origin}/admin/login`, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ email, password }).toString(),
    redirect: 'manual',
  });
  await response.arrayBuffer();
  return response.status;
}

interface Tally {
  /** 401 (checked, wrong) and 302 (checked, logged in). */
  readonly checked: number;
  readonly loggedIn: number;
  readonly throttled: number;
  readonly other: number[];
}

function tally(statuses: readonly number[]): Tally {
  const count = (status: number) => statuses.filter((s) => s === status).length;
  return {
    checked: count(401) + count(302),
    loggedIn: count(302),
    throttled: count(429),
    other: statuses.filter((s) => ![302, 401, 429].includes(s)),
  };
}

/** `count` guesses at once, round-robin over `origins`; the right password (if any) at `rightAt`. */
function guessInParallel(
  origins: readonly string[],
  email: string,
  count: number,
  rightAt: number,
  from: (index: number) => string | undefined = () => undefined,
): Promise<number[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      login(
        origins[index % origins.length]!,
        email,
        index === rightAt ? PASSWORD : `wrong guess ${index}`,
        from(index),
      ),
    ),
  );
}

describe('admin login throttling under attack, memory store', () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await startFixture({
      LOGIN_THROTTLE_ATTEMPTS: String(ATTEMPTS),
      LOGIN_THROTTLE_ACCOUNT_ATTEMPTS: '12',
      // The test client connects from 127.0.0.1: a trusted proxy, so X-Forwarded-For picks the address.
      TRUSTED_PROXIES: '127.0.0.1',
    });
  });
  after(() => fixture.close());

  it('100 parallel guesses from one address: only the allowed few are checked', async () => {
    // The right password goes last: requests are reserved roughly, not exactly, in the order sent.
    const statuses = await guessInParallel(
      [fixture.origin],
      'editor@example.com',
      100,
      99,
      () => '203.0.113.50',
    );
    const counts = tally(statuses);
    assert.deepEqual(counts.other, []);
    assert.equal(counts.checked, ATTEMPTS, `passwords checked: ${counts.checked}`);
    assert.equal(counts.loggedIn, 0);
    assert.equal(counts.throttled, 100 - ATTEMPTS);
    assert.equal(statuses[99], 429, 'the right password (sent last) is refused');
  });

  it("a stranger's failures do not lock staff out of their own address", async () => {
    for (let i = 0; i < ATTEMPTS; i++)
      assert.equal(await login(fixture.origin, 'root@example.com', `guess ${i}`, '203.0.113.7'), 401);
    assert.equal(await login(fixture.origin, 'root@example.com', PASSWORD, '203.0.113.7'), 429);
    assert.equal(await login(fixture.origin, 'root@example.com', PASSWORD, '198.51.100.2'), 302);
  });

  it('guesses spread over many addresses hit the account-wide limit', async () => {
    const statuses = await guessInParallel(
      [fixture.origin],
      'inactive@example.com',
      40,
      -1,
      (index) => `198.51.100.${100 + index}`,
    );
    const counts = tally(statuses);
    assert.deepEqual(counts.other, []);
    assert.equal(counts.checked, 12);
    assert.equal(counts.throttled, 40 - 12);
  });

  it('a locked account stays locked under other spellings of its email', async () => {
    for (let i = 0; i < ATTEMPTS; i++)
      await login(fixture.origin, 'customer@example.com', `guess ${i}`, '203.0.113.9');
    for (const spelling of [' Customer@Example.com', 'customer@example.com ', 'ｃｕｓｔｏｍｅｒ@Example.com'])
      assert.equal(
        await login(fixture.origin, spelling, PASSWORD, '203.0.113.9'),
        429,
        JSON.stringify(spelling),
      );
  });
});

describe('admin login: X-Forwarded-For from an untrusted peer is ignored', () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await startFixture({ LOGIN_THROTTLE_ATTEMPTS: String(ATTEMPTS), TRUSTED_PROXIES: '10.9.9.9' });
  });
  after(() => fixture.close());

  it('a spoofed header per guess does not buy a fresh bucket', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < ATTEMPTS + 3; i++)
      statuses.push(await login(fixture.origin, 'editor@example.com', `guess ${i}`, `203.0.113.${i + 1}`));
    assert.equal(tally(statuses).throttled, 3);
    assert.equal(await login(fixture.origin, 'editor@example.com', PASSWORD, '198.51.100.77'), 429);
  });
});

describe(
  'admin login throttling under attack, Redis store, two instances',
  { skip: REDIS_URL ? false : 'REDIS_URL is not set: the Redis throttle suite needs a real Redis' },
  () => {
    let fixture: Fixture;
    let second: AdminServer;
    before(async () => {
      const env = {
        LOGIN_THROTTLE_ATTEMPTS: String(ATTEMPTS),
        REDIS_URL: REDIS_URL!,
        // Fresh keys per run: counters from an earlier run must not leak in.
        LOGIN_THROTTLE_REDIS_PREFIX: `tandem-test:${randomUUID()}`,
      };
      fixture = await startFixture(env);
      second = await startAdmin({
        config: loadConfig({
          DATABASE_URL: fixture.db.url,
          LOG_LEVEL: 'silent',
          TANDEM_SECRET_KEY: SECRET,
          ...env,
        }),
        orm: fixture.db.orm,
        logger: createLogger('admin-test', 'silent'),
        port: 0,
      });
      // One login on each instance first: both have their Redis connection up before the attack.
      for (const origin of [fixture.origin, new URL(second.url).origin])
        assert.equal(await login(origin, 'root@example.com', PASSWORD), 302);
    });
    after(async () => {
      await second.close();
      await fixture.close();
    });

    it('100 parallel guesses over two instances: one limit, the right password refused', async () => {
      const origins = [fixture.origin, new URL(second.url).origin];
      const statuses = await guessInParallel(origins, 'editor@example.com', 100, 99);
      const counts = tally(statuses);
      assert.deepEqual(counts.other, []);
      assert.equal(counts.checked, ATTEMPTS, `passwords checked: ${counts.checked}`);
      assert.equal(counts.throttled, 100 - ATTEMPTS);
      assert.equal(statuses[99], 429);
    });
  },
);
