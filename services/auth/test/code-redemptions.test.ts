/**
 * CodeRedemptions' batching and its answer to a failed statement, with the statement replaced by a
 * recording function (pure logic; test/code-exchange-batch.test.ts runs the real one on PostgreSQL).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodeRedemptions } from '../src/code-redemptions.js';
import type { CodeAttempt, CodeRead } from '../src/store.js';

const attempt = (codeHash: string): CodeAttempt =>
  ({
    codeHash,
    challenge: 'c',
    redirectUri: null,
    authenticatedClientPk: null,
    namedClientId: 'app',
  }) as CodeAttempt;
const read = (codeHash: string): CodeRead => ({
  code: { clientId: codeHash } as CodeRead['code'],
  claimed: true,
});
/** What node-postgres rejects with when the server refused the statement (it rolled back). */
const refusedByServer = (message: string) =>
  Object.assign(new Error(message), { severity: 'ERROR', code: '23505' });

test("the attempts of one event-loop turn are one call; each gets its own answer, the next turn's a call of its own", async () => {
  const calls: string[][] = [];
  const redemptions = new CodeRedemptions(async (attempts) => {
    calls.push(attempts.map((a) => a.codeHash));
    return attempts.map((a) => (a.codeHash === 'unknown' ? undefined : read(a.codeHash)));
  });
  const answers = await Promise.all(['a', 'unknown', 'b'].map((hash) => redemptions.redeem(attempt(hash))));
  assert.deepEqual(calls, [['a', 'unknown', 'b']]);
  assert.deepEqual(
    answers.map((answer) => answer?.code.clientId),
    ['a', undefined, 'b'],
  );
  await redemptions.redeem(attempt('c'));
  assert.deepEqual(calls, [['a', 'unknown', 'b'], ['c']]);
});

test('a statement the database refused is tried again attempt by attempt: only the attempt it fails for fails', async () => {
  const calls: string[][] = [];
  const redemptions = new CodeRedemptions(async (attempts) => {
    calls.push(attempts.map((a) => a.codeHash));
    if (attempts.some((a) => a.codeHash === 'bad')) throw refusedByServer('duplicate key value');
    return attempts.map((a) => read(a.codeHash));
  });
  const answers = await Promise.allSettled(
    ['a', 'bad', 'b'].map((hash) => redemptions.redeem(attempt(hash))),
  );
  assert.deepEqual(calls, [['a', 'bad', 'b'], ['a'], ['bad'], ['b']]);
  const [a, bad, b] = answers;
  assert.equal(a?.status === 'fulfilled' && a.value?.code.clientId, 'a');
  assert.ok(bad?.status === 'rejected' && /duplicate key/.test(String(bad.reason)));
  assert.equal(b?.status === 'fulfilled' && b.value?.code.clientId, 'b');
});

test('any other failure (a lost connection: the commit may have happened) fails the batch, never tried again', async () => {
  let calls = 0;
  const redemptions = new CodeRedemptions(async () => {
    calls++;
    throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
  });
  const answers = await Promise.allSettled(['a', 'b'].map((hash) => redemptions.redeem(attempt(hash))));
  assert.equal(calls, 1, 'trying again would find its own claims and take them for replays');
  assert.ok(answers.every((a) => a.status === 'rejected' && /terminated/.test(String(a.reason))));
});
