import { randomUUID } from 'node:crypto';
import { after, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { LoginThrottle, type LoginThrottleOptions, type ThrottleVerdict } from '../src/index.js';

// A point given back must go to the window it was taken from: given to the next one (where an expired
// window's counter is started again at -1) it is a guess more there, one per success an attacker
// holding one password times to end after the window does.

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

const WINDOW_SECONDS = 2;
const WINDOW_MS = WINDOW_SECONDS * 1000;

const allowed = (verdicts: readonly ThrottleVerdict[]) => verdicts.filter((v) => v.allowed).length;

/** Resolves `ms` after `start` (a Date.now()). */
const until = (start: number, ms: number) => sleep(Math.max(0, start + ms - Date.now()));

/** `count` guesses at once, `guess(i)` each. */
const guesses = (count: number, guess: (i: number) => Promise<ThrottleVerdict>) =>
  Promise.all(Array.from({ length: count }, (_, i) => guess(i)));

for (const store of stores) {
  describe(
    `LoginThrottle on the ${store.name} store: a point goes back to its own window only`,
    { skip: store.skip },
    () => {
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

      test('a success checked after its window ended gives the next window nothing', async () => {
        const throttle = await open({
          attempts: 3,
          accountAttempts: 3,
          addressAttempts: 3,
          windowSeconds: WINDOW_SECONDS,
        });
        const start = Date.now();
        const verdict = await throttle.reserve('amy@example.com', '10.6.0.1');
        assert.ok(verdict.allowed);
        await until(start, WINDOW_MS + 200);
        await throttle.recordSuccess(verdict.reservation);

        const sprayed = await guesses(10, (i) => throttle.reserve(`other-${i}@example.com`, '10.6.0.1'));
        assert.equal(allowed(sprayed), 3, 'from the address, over all accounts');
        const spread = await guesses(10, (i) => throttle.reserve('amy@example.com', `10.7.0.${i}`));
        assert.equal(allowed(spread), 3, 'at the account, from all addresses');
      });

      test('a success checked after its window ended gives nothing to a window begun since', async () => {
        const throttle = await open({
          attempts: 3,
          accountAttempts: 3,
          addressAttempts: 3,
          windowSeconds: WINDOW_SECONDS,
        });
        const start = Date.now();
        const verdict = await throttle.reserve('bea@example.com', '10.6.1.1');
        assert.ok(verdict.allowed);
        await until(start, WINDOW_MS + 200);
        // The next windows, begun by failed guesses: one point spent in each of them.
        assert.ok((await throttle.reserve('cal@example.com', '10.6.1.1')).allowed);
        assert.ok((await throttle.reserve('bea@example.com', '10.7.1.1')).allowed);
        await throttle.recordSuccess(verdict.reservation);

        const sprayed = await guesses(10, (i) => throttle.reserve(`other-${i}@example.com`, '10.6.1.1'));
        assert.equal(allowed(sprayed), 2, 'from the address, over all accounts');
        const spread = await guesses(10, (i) => throttle.reserve('bea@example.com', `10.7.2.${i}`));
        assert.equal(allowed(spread), 2, 'at the account, from all addresses');
      });

      test('many right passwords checked across the end of the window leave the next one whole', async () => {
        const throttle = await open({
          attempts: 5,
          accountAttempts: 20,
          addressAttempts: 20,
          windowSeconds: WINDOW_SECONDS,
        });
        const start = Date.now();
        // One address guessing 20 accounts, and one account guessed from 20 addresses: all right.
        const sprayed = await guesses(20, (i) => throttle.reserve(`sprayed-${i}@example.com`, '10.8.0.1'));
        const spread = await guesses(20, (i) => throttle.reserve('dot@example.com', `10.9.0.${i}`));
        // Their checks end 20 ms apart, from 200 ms before the windows end to 200 ms after.
        await Promise.all(
          [sprayed, spread].flatMap((verdicts) =>
            verdicts.map(async (verdict, i) => {
              assert.ok(verdict.allowed);
              await until(start, WINDOW_MS - 200 + i * 20);
              await throttle.recordSuccess(verdict.reservation);
            }),
          ),
        );

        const next = await guesses(50, (i) => throttle.reserve(`next-${i}@example.com`, '10.8.0.1'));
        assert.equal(allowed(next), 20, 'from the address, over all accounts');
        const nextSpread = await guesses(50, (i) => throttle.reserve('dot@example.com', `10.9.1.${i}`));
        assert.equal(allowed(nextSpread), 20, 'at the account, from all addresses');
      });

      test("a refused guess's give-back after its address window ended gives the next window nothing", async () => {
        const throttle = await open({
          attempts: 3,
          accountAttempts: 1,
          addressAttempts: 3,
          windowSeconds: WINDOW_SECONDS,
        });
        const start = Date.now();
        // The address's window begins; the account's, filled, a second later (it outlasts the address's).
        assert.ok((await throttle.reserve('eli@example.com', '10.10.0.1')).allowed);
        await until(start, 1000);
        assert.ok((await throttle.reserve('fox@example.com', '10.10.0.2')).allowed);
        // A guess at fox from the address: its account stage is counted (and refuses) only after the
        // address's window has ended, so the point the address stage took goes back late. Only a delay:
        // the counters are the store's own.
        const limiter: RateLimiterAbstract = store.redis
          ? RateLimiterRedis.prototype
          : RateLimiterMemory.prototype;
        const consume = limiter.consume;
        mock.method(
          limiter,
          'consume',
          async function (this: RateLimiterAbstract, ...args: Parameters<typeof consume>) {
            if (this.keyPrefix.endsWith(':account')) await until(start, WINDOW_MS + 200);
            return consume.apply(this, args);
          },
        );
        try {
          const refused = await throttle.reserve('fox@example.com', '10.10.0.1');
          assert.ok(!refused.allowed && refused.reason === 'failures');
        } finally {
          mock.restoreAll();
        }

        const sprayed = await guesses(10, (i) => throttle.reserve(`other-${i}@example.com`, '10.10.0.1'));
        assert.equal(allowed(sprayed), 3, 'from the address, over all accounts');
      });
    },
  );
}
