import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RESTART_POLICY, RestartStreak } from '../src/start/restart-policy.js';

const READY_BRIEFLY = 1_000;

test('restarts wait 0.5 s, then twice as long each time in a row, up to 30 s', () => {
  const streak = new RestartStreak(DEFAULT_RESTART_POLICY);
  const delays = Array.from({ length: 10 }, () => {
    const decision = streak.onUnexpectedExit(READY_BRIEFLY);
    assert.equal(decision.kind, 'restart');
    return decision.kind === 'restart' ? [decision.delayMs, decision.attempt] : [];
  });
  assert.deepEqual(delays, [
    [500, 1],
    [1_000, 2],
    [2_000, 3],
    [4_000, 4],
    [8_000, 5],
    [16_000, 6],
    [30_000, 7],
    [30_000, 8],
    [30_000, 9],
    [30_000, 10],
  ]);
});

test('a run that stayed ready for stableAfterMs starts the backoff again from 0.5 s', () => {
  const streak = new RestartStreak(DEFAULT_RESTART_POLICY);
  for (let i = 0; i < 4; i++) streak.onUnexpectedExit(READY_BRIEFLY);
  assert.deepEqual(streak.onUnexpectedExit(DEFAULT_RESTART_POLICY.stableAfterMs), {
    kind: 'restart',
    delayMs: 500,
    attempt: 1,
  });
});

test('five exits in a row before ready give up; a run that got ready resets that count', () => {
  const streak = new RestartStreak(DEFAULT_RESTART_POLICY);
  for (let i = 0; i < 4; i++) assert.equal(streak.onUnexpectedExit(undefined).kind, 'restart');
  assert.equal(streak.onUnexpectedExit(READY_BRIEFLY).kind, 'restart', 'it got ready once');
  for (let i = 0; i < 4; i++) assert.equal(streak.onUnexpectedExit(undefined).kind, 'restart');
  assert.deepEqual(streak.onUnexpectedExit(undefined), { kind: 'give up', failedStarts: 5 });
});
