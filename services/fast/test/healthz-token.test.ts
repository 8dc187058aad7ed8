/**
 * /healthz answers anyone (probes, load balancers), but with METRICS_TOKEN set it used to tell an
 * outsider what /metrics refuses: records per collection and the feed's position, enough to follow
 * order volume live. Now a caller without the token gets status, ready and (not ready) reason only;
 * the details go to the bearer METRICS_TOKEN, and to everyone when no token is set (/metrics is open
 * then too).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsAccess } from '@tandem/service';
import { testDialect } from '@tandem/models/testing';
import { healthReply } from '../src/observability/health.js';
import { seedCatalog, startHarness, type Harness } from './support/fast.js';
import { bearer, get, type HttpReply } from './support/http.js';
import { notTheMetricsToken } from './support/metrics-token.js';

const METRICS_TOKEN = 'fast-healthz-token-0123456789abcdefghijkl';

function assertProbeOnly(reply: HttpReply, label: string): void {
  assert.equal(reply.status, 200, label);
  assert.equal(reply.headers['cache-control'], 'no-store');
  assert.deepEqual(reply.json, { status: 'ok', ready: true }, label);
  // No count, position or lag of any kind: not a digit in the whole answer.
  assert.doesNotMatch(reply.text, /\d/, label);
}

function assertDetails(reply: HttpReply, h: Harness, label: string): void {
  assert.equal(reply.status, 200, label);
  assert.equal(reply.json.status, 'ok');
  assert.equal(reply.json.ready, true);
  assert.equal(reply.json.records.products, h.fast.store.get('products')!.size, label);
  assert.ok(reply.json.records.products > 0);
  assert.equal(typeof reply.json.feed.lagEvents, 'number');
  assert.ok('position' in reply.json.feed);
  assert.ok(reply.json.jwks.keys > 0);
}

describe(`/healthz with METRICS_TOKEN set (${testDialect()})`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ METRICS_TOKEN }, (db) => seedCatalog(db, 3));
  });
  after(() => h?.close());

  test('without the token: status and ready only, no record count anywhere', async () => {
    assertProbeOnly(await get(`${h.fast.url}/healthz`), 'no Authorization');
  });

  test('with a wrong token, or an API access token: the same, without details', async () => {
    const accessToken = await h.issuer.sign({ scope: 'catalog:read' });
    for (const headers of notTheMetricsToken(METRICS_TOKEN, accessToken))
      assertProbeOnly(await get(`${h.fast.url}/healthz`, headers), JSON.stringify(headers));
  });

  test('with the token: the feed, the keys and the records', async () => {
    assertDetails(await get(`${h.fast.url}/healthz`, bearer(METRICS_TOKEN)), h, 'the token');
    const lower = await get(`${h.fast.url}/healthz`, { authorization: `bearer ${METRICS_TOKEN}` });
    assertDetails(lower, h, 'the scheme is case-insensitive');
  });
});

describe(`/healthz without METRICS_TOKEN (${testDialect()})`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({}, (db) => seedCatalog(db, 3));
  });
  after(() => h?.close());

  test('gives the details to anyone, as /metrics is open too', async () => {
    assertDetails(await get(`${h.fast.url}/healthz`), h, 'no Authorization');
    assertDetails(await get(`${h.fast.url}/healthz`, bearer('anything')), h, 'any header');
  });
});

test('a replica not ready says why, with 503, and nothing more without the token', () => {
  const parts = {
    store: { ready: false, collections: new Map([['orders', { size: 191 }]]) },
    feed: {
      status: () => ({ connected: true, stale: false, lagEvents: 7, lagMs: 3, position: '375' }),
    },
    jwks: { size: 0, lastError: undefined },
    metricsAccess: new MetricsAccess(METRICS_TOKEN),
  } as unknown as Parameters<typeof healthReply>[0];
  const anonymous = healthReply(parts, '');
  assert.equal(anonymous.status, 503);
  assert.deepEqual(JSON.parse(String(anonymous.body)), {
    status: 'starting',
    ready: false,
    reason: 'loading snapshot',
  });
  const operator = healthReply(parts, `Bearer ${METRICS_TOKEN}`);
  assert.equal(operator.status, 503);
  const body = JSON.parse(String(operator.body));
  assert.equal(body.reason, 'loading snapshot');
  assert.deepEqual(body.records, { orders: 191 });
  assert.equal(body.feed.position, '375');
});
