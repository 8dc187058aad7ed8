import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, SETTING_NAMES, loadConfig } from '../src/index.js';

test('the dashboard reads /metrics on HOST and the service ports by default', () => {
  assert.deepEqual(loadConfig({}).metricsUrls, {
    auth: 'http://127.0.0.1:8001/metrics',
    fast: 'http://127.0.0.1:8002/metrics',
  });
  assert.deepEqual(loadConfig({ HOST: '10.0.0.5', AUTH_PORT: '9001', FAST_PORT: '9002' }).metricsUrls, {
    auth: 'http://10.0.0.5:9001/metrics',
    fast: 'http://10.0.0.5:9002/metrics',
  });
});

test('services bound to every interface are read on the loopback address; IPv6 hosts are bracketed', () => {
  for (const host of ['0.0.0.0', '::'])
    assert.equal(loadConfig({ HOST: host }).metricsUrls.fast, 'http://127.0.0.1:8002/metrics', host);
  assert.equal(loadConfig({ HOST: '::1' }).metricsUrls.auth, 'http://[::1]:8001/metrics');
});

test('AUTH_METRICS_URL and FAST_METRICS_URL replace the defaults; empty means unset', () => {
  const config = loadConfig({
    AUTH_METRICS_URL: 'http://auth.internal:8001/metrics',
    FAST_METRICS_URL: 'https://fast-0.fast.svc:9100/prom',
  });
  assert.deepEqual(config.metricsUrls, {
    auth: 'http://auth.internal:8001/metrics',
    fast: 'https://fast-0.fast.svc:9100/prom',
  });
  assert.equal(loadConfig({ FAST_METRICS_URL: '' }).metricsUrls.fast, 'http://127.0.0.1:8002/metrics');
  assert.ok(SETTING_NAMES.includes('AUTH_METRICS_URL') && SETTING_NAMES.includes('FAST_METRICS_URL'));
});

test('a metrics URL that is not plain http(s) is refused, naming the variable', () => {
  for (const [variable, value] of [
    ['FAST_METRICS_URL', 'ftp://fast/metrics'],
    ['FAST_METRICS_URL', 'fast:8002/metrics'],
    ['AUTH_METRICS_URL', 'http://auth:8001/metrics?x=1'],
    ['AUTH_METRICS_URL', 'javascript:alert(1)'],
  ] as const) {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === variable && /http\(s\) URL/.test(error.message),
      `${variable}=${value}`,
    );
  }
});

test('METRICS_TOKEN: unset or empty leaves /metrics open; a short or unsendable token is refused', () => {
  assert.equal(loadConfig({}).metricsToken, undefined);
  assert.equal(loadConfig({ METRICS_TOKEN: '' }).metricsToken, undefined);
  const token = 'q'.repeat(31) + 'Z';
  assert.equal(loadConfig({ METRICS_TOKEN: token }).metricsToken, token);
  for (const [value, reason] of [
    ['too-short-token', /at least 32 characters/],
    [`${'a'.repeat(32)} b`, /printable ASCII without spaces/],
    [`${'a'.repeat(32)}\r\nX-Injected: 1`, /printable ASCII without spaces/],
    [`${'a'.repeat(32)}é`, /printable ASCII without spaces/],
  ] as const) {
    assert.throws(
      () => loadConfig({ METRICS_TOKEN: value }),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === 'METRICS_TOKEN' && reason.test(error.message),
      JSON.stringify(value),
    );
  }
  assert.ok(SETTING_NAMES.includes('METRICS_TOKEN'));
});
