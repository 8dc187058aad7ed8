import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle, type LoginThrottleOptions, type ThrottleVerdict } from '../src/index.js';

const REDIS_URL = process.env.REDIS_URL;

/** Each suite runs on the memory store, and on Redis when REDIS_URL is set. */
const stores = [
  { name: 'memory', redis: false, skip: false as const },
  {
    name: 'Redis',
    redis: true,
    skip: REDIS_URL ? (false as const) : 'REDIS_URL is not set: the Redis store needs a real Redis',
  },
];

const allowed = (verdicts: readonly ThrottleVerdict[]) => verdicts.filter((v) => v.allowed).length;

for (const store of stores) {
  describe(`LoginThrottle on the ${store.name} store`, { skip: store.skip }, () => {
    const opened: LoginThrottle[] = [];
    // Fresh Redis keys per run and suite: counters from an earlier run must not leak in.
    const redisKeyPrefix = `tandem-test:${randomUUID()}`;
    const open = async (options: LoginThrottleOptions) => {
      const throttle = new LoginThrottle(
        store.redis ? { ...options, redisUrl: REDIS_URL, redisKeyPrefix } : options,
      );
      opened.push(throttle);
      await throttle.ready();
      return throttle;
    };
    after(() => Promise.all(opened.map((throttle) => throttle.close())));

    test('200 reservations at once for one account and address: exactly `attempts` pass', async () => {
      const throttle = await open({ attempts: 5, windowSeconds: 60 });
      const verdicts = await Promise.all(
        Array.from({ length: 200 }, () => throttle.reserve('parallel@example.com', '10.0.0.1')),
      );
      assert.equal(allowed(verdicts), 5);
      for (const verdict of verdicts.filter((v) => !v.allowed))
        assert.ok(!verdict.allowed && verdict.retryAfterSeconds >= 1 && verdict.retryAfterSeconds <= 60);
    });

    test('two instances on one store share the limits', { skip: !store.redis }, async () => {
      const first = await open({ attempts: 4, windowSeconds: 60 });
      const second = await open({ attempts: 4, windowSeconds: 60 });
      const verdicts = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 ? first : second).reserve('shared@example.com', '10.0.0.2'),
        ),
      );
      assert.equal(allowed(verdicts), 4);
    });

    test("per pair: a stranger's guesses leave the owner at another address alone", async () => {
      const throttle = await open({ attempts: 3, windowSeconds: 60 });
      for (let i = 0; i < 3; i++)
        assert.equal((await throttle.reserve('ann@example.com', '203.0.113.7')).allowed, true);
      assert.equal((await throttle.reserve('ann@example.com', '203.0.113.7')).allowed, false);
      assert.equal((await throttle.reserve('ann@example.com', '198.51.100.2')).allowed, true);
    });

    test('account-wide: guesses spread over many addresses stop at accountAttempts', async () => {
      const throttle = await open({ attempts: 3, accountAttempts: 7, windowSeconds: 60 });
      const verdicts = await Promise.all(
        Array.from({ length: 30 }, (_, i) => throttle.reserve('bob@example.com', `198.51.100.${i + 1}`)),
      );
      assert.equal(allowed(verdicts), 7);
      assert.equal((await throttle.reserve('bob@example.com', '192.0.2.200')).allowed, false);
    });

    test('per address: spraying many accounts stops at addressAttempts', async () => {
      const throttle = await open({ attempts: 2, addressAttempts: 6, windowSeconds: 60 });
      const verdicts = await Promise.all(
        Array.from({ length: 20 }, (_, i) => throttle.reserve(`user${i}@example.com`, '10.0.0.9')),
      );
      assert.equal(allowed(verdicts), 6);
      assert.equal(
        (await throttle.reserve('user0@example.com', '10.0.0.10')).allowed,
        true,
        'other addresses are unaffected',
      );
    });

    test('a refused guess costs nothing in the other stages', async () => {
      const throttle = await open({ attempts: 2, accountAttempts: 3, windowSeconds: 60 });
      // The pair refuses the third guess: it must not spend account-wide points.
      for (let i = 0; i < 10; i++) await throttle.reserve('cat@example.com', '203.0.113.1');
      assert.equal((await throttle.reserve('cat@example.com', '203.0.113.2')).allowed, true);
    });

    test('one IPv6 /64 is one address: rotating through its addresses buys no new budget', async () => {
      const throttle = await open({ attempts: 2, addressAttempts: 6, windowSeconds: 60 });
      const verdicts = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          throttle.reserve(`unknown-${i}@example.com`, `2001:db8:7:7::${(i + 1).toString(16)}`),
        ),
      );
      assert.equal(allowed(verdicts), 6);
      assert.equal(
        (await throttle.reserve('x@example.com', '2001:db8:7:8::1')).allowed,
        true,
        'the next /64',
      );
    });

    test('every spelling of an email is one account: spaces, case, full-width (NFKC)', async () => {
      const throttle = await open({ attempts: 3, windowSeconds: 60 });
      for (const spelling of ['dan@example.com', ' Dan@Example.com', 'ｄａｎ@ｅｘａｍｐｌｅ.ｃｏｍ\t'])
        assert.equal((await throttle.reserve(spelling, '10.0.0.3')).allowed, true);
      for (const spelling of ['DAN@EXAMPLE.COM ', '　ｄａｎ@example.com'])
        assert.equal((await throttle.reserve(spelling, '10.0.0.3')).allowed, false, spelling);
    });

    test('successful sign-ins of one account stop at accountSignIns, from any address', async () => {
      const throttle = await open({ attempts: 5, accountSignIns: 3, windowSeconds: 60 });
      for (let i = 0; i < 3; i++) {
        const verdict = await throttle.reserve('fay@example.com', `10.1.0.${i}`);
        assert.ok(verdict.allowed);
        await throttle.recordSuccess(verdict.reservation);
      }
      const refused = await throttle.reserve('fay@example.com', '10.1.0.99');
      assert.equal(refused.allowed, false);
      assert.ok(!refused.allowed && refused.reason === 'sign_ins' && refused.retryAfterSeconds >= 1);
      assert.equal((await throttle.reserve('gus@example.com', '10.1.0.99')).allowed, true, 'other accounts');
    });

    test('100 sign-ins at once with the right password: exactly accountSignIns are checked', async () => {
      const throttle = await open({
        attempts: 1000,
        accountAttempts: 1000,
        accountSignIns: 4,
        windowSeconds: 60,
      });
      const verdicts = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const verdict = await throttle.reserve('hal@example.com', `10.2.0.${i}`);
          if (verdict.allowed) await throttle.recordSuccess(verdict.reservation);
          return verdict;
        }),
      );
      assert.equal(allowed(verdicts), 4);
      assert.ok(verdicts.every((v) => v.allowed || v.reason === 'sign_ins'));
    });

    test('a refusal for sign-ins gives back what it spent in the failure stages', async () => {
      const throttle = await open({ attempts: 5, addressAttempts: 2, accountSignIns: 1, windowSeconds: 60 });
      assert.ok((await throttle.reserve('ivy@example.com', '10.3.0.1')).allowed);
      // Refused five times by the sign-in stage: the address's budget (2) must not be spent by them.
      for (let i = 0; i < 5; i++) {
        const verdict = await throttle.reserve('ivy@example.com', '10.3.0.1');
        assert.ok(!verdict.allowed && verdict.reason === 'sign_ins');
      }
      assert.equal((await throttle.reserve('jon@example.com', '10.3.0.1')).allowed, true);
      const third = await throttle.reserve('kim@example.com', '10.3.0.1');
      assert.ok(!third.allowed && third.reason === 'failures', 'the address budget, spent by real guesses');
    });

    test('refused requests leave no trace: parallel right-password logins do not lock the account', async () => {
      const throttle = await open({ attempts: 5, accountAttempts: 20, windowSeconds: 60 });
      const verdicts = await Promise.all(
        Array.from({ length: 130 }, async (_, i) => {
          const verdict = await throttle.reserve('lee@example.com', `10.4.${i >> 8}.${i & 255}`);
          if (verdict.allowed) await throttle.recordSuccess(verdict.reservation);
          return verdict;
        }),
      );
      assert.equal(allowed(verdicts), 20);
      // All 20 checked were right: nothing counts against the account now.
      for (let i = 0; i < 20; i++)
        assert.equal((await throttle.reserve('lee@example.com', `10.5.0.${i}`)).allowed, true, String(i));
    });

    test('a success clears the pair and gives back its account-wide and address points', async () => {
      const throttle = await open({ attempts: 2, accountAttempts: 3, addressAttempts: 3, windowSeconds: 60 });
      assert.ok((await throttle.reserve('eve@example.com', '10.0.0.4')).allowed);
      const right = await throttle.reserve('eve@example.com', '10.0.0.4');
      assert.ok(right.allowed);
      await throttle.recordSuccess(right.reservation);
      // The pair is clear again, and only the one failure counts account-wide and for the address.
      assert.ok((await throttle.reserve('eve@example.com', '10.0.0.4')).allowed);
      assert.ok((await throttle.reserve('eve@example.com', '10.0.0.4')).allowed);
      assert.equal((await throttle.reserve('eve@example.com', '10.0.0.5')).allowed, false, 'account-wide');
    });
  });
}
