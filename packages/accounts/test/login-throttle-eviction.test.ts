import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import {
  eventually,
  redisServerInstalled,
  startPrivateRedis,
  type PrivateRedis,
} from '@tandem/models/testing';
import { LoginThrottle } from '../src/index.js';

// A private Redis: this test changes its maxmemory-policy and drops its connections.
describe(
  'LoginThrottle on a Redis whose maxmemory-policy evicts',
  { skip: !redisServerInstalled() && 'redis-server is not installed (a private one is reconfigured here)' },
  () => {
    let server: PrivateRedis;
    let admin: Redis;
    before(async () => {
      server = await startPrivateRedis();
      admin = new Redis(server.url);
    });
    after(async () => {
      admin.disconnect();
      await server.destroy();
    });

    test('the counters stay out of it (an attacker who fills it cannot make it drop them), and go back once it is noeviction', async () => {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const prefix = 'tandem-test:evicting';
      const throttle = new LoginThrottle({
        attempts: 3,
        windowSeconds: 60,
        redisUrl: server.url,
        redisKeyPrefix: prefix,
      });
      try {
        await throttle.ready();
        assert.match((await throttle.redisHazard()) ?? '', /maxmemory-policy is allkeys-lru/);
        for (let i = 0; i < 3; i++)
          assert.equal((await throttle.reserve('ann@example.com', '203.0.113.7')).allowed, true);
        assert.deepEqual(await admin.keys(`${prefix}:*`), [], 'no counter in a Redis that may evict it');
        // What a full allkeys-lru Redis does to whatever it holds: the guesses are still counted.
        await admin.flushall();
        assert.equal((await throttle.reserve('ann@example.com', '203.0.113.7')).allowed, false);

        // Set right, it is trusted again from the throttle's next connection to it.
        await admin.config('SET', 'maxmemory-policy', 'noeviction');
        await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
        await eventually('the throttle counts in Redis again', async () => {
          await throttle.reserve('bob@example.com', '198.51.100.1');
          return (await admin.keys(`${prefix}:*`)).length > 0;
        });
        assert.equal(await throttle.redisHazard(), undefined);
      } finally {
        await throttle.close();
      }
    });
  },
);
