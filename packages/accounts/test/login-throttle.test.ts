import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../src/index.js';

test('an account is blocked after the allowed failures, with a retry delay', async () => {
  const throttle = new LoginThrottle({ attempts: 3, windowSeconds: 60 });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await throttle.check('ann@example.com', '10.0.0.1'), { allowed: true });
    await throttle.recordFailure('ann@example.com', '10.0.0.1');
  }
  const verdict = await throttle.check('ANN@example.com', '10.0.0.2');
  assert.equal(verdict.allowed, false, 'same account from another address, other case');
  assert.ok(!verdict.allowed && verdict.retryAfterSeconds > 0 && verdict.retryAfterSeconds <= 60);
  assert.deepEqual(
    await throttle.check('bob@example.com', '10.0.0.1'),
    { allowed: true },
    'other accounts unaffected',
  );
});

test('an address spraying many accounts is blocked too', async () => {
  const throttle = new LoginThrottle({ attempts: 2, windowSeconds: 60 });
  for (let i = 0; i < 8; i++) await throttle.recordFailure(`user${i}@example.com`, '10.0.0.9');
  const verdict = await throttle.check('fresh@example.com', '10.0.0.9');
  assert.equal(verdict.allowed, false);
});

test('a success clears the account counter', async () => {
  const throttle = new LoginThrottle({ attempts: 2, windowSeconds: 60 });
  await throttle.recordFailure('ann@example.com', '10.0.0.1');
  await throttle.recordSuccess('ann@example.com');
  await throttle.recordFailure('ann@example.com', '10.0.0.1');
  assert.deepEqual(await throttle.check('ann@example.com', '10.0.0.1'), { allowed: true });
});
