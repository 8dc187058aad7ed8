import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsAccess, metricsAuthorization, openMetricsWarning } from '../src/index.js';

const TOKEN = 'm3tr1cs-t0ken-0123456789abcdefghijkl';

test('without a token /metrics is open to every request', () => {
  const access = new MetricsAccess(undefined);
  assert.equal(access.guarded, false);
  assert.equal(access.allows(undefined), true);
  assert.equal(access.allows('Bearer anything'), true);
  assert.deepEqual(metricsAuthorization(undefined), {});
});

test('with a token only `Bearer <token>` reads, the scheme in any case', () => {
  const access = new MetricsAccess(TOKEN);
  assert.equal(access.guarded, true);
  assert.equal(access.allows(`Bearer ${TOKEN}`), true);
  assert.equal(access.allows(`bearer ${TOKEN}`), true);
  assert.equal(access.allows(metricsAuthorization(TOKEN).authorization), true);
});

test('every near miss is refused', () => {
  const access = new MetricsAccess(TOKEN);
  for (const header of [
    undefined,
    '',
    'Bearer',
    'Bearer ',
    TOKEN,
    `Basic ${TOKEN}`,
    `Bearer ${TOKEN.slice(0, -1)}`,
    `Bearer ${TOKEN}x`,
    `Bearer ${TOKEN.toUpperCase()}`,
    `Bearer  ${TOKEN}`,
    `Bearer ${TOKEN} `,
    `Bearer ${TOKEN},Bearer ${TOKEN}`,
    `Bearer${TOKEN}`,
  ])
    assert.equal(access.allows(header), false, JSON.stringify(header));
});

test('start-up warns of an open /metrics only in production, beyond loopback, without a token', () => {
  const production = { env: 'production', host: '0.0.0.0', metricsToken: undefined } as const;
  assert.match(openMetricsWarning(production) ?? '', /anyone who can reach 0\.0\.0\.0: set METRICS_TOKEN/);
  assert.match(openMetricsWarning({ ...production, host: '10.0.0.5' }) ?? '', /10\.0\.0\.5/);
  for (const quiet of [
    { ...production, metricsToken: TOKEN },
    { ...production, host: '127.0.0.1' },
    { ...production, host: '::1' },
    { ...production, host: 'localhost' },
    { ...production, env: 'development' },
    { ...production, env: 'test' },
  ] as const)
    assert.equal(openMetricsWarning(quiet), undefined, JSON.stringify(quiet));
});
