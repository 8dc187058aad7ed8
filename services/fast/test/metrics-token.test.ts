/**
 * METRICS_TOKEN guards GET /metrics: a scraper without it, with a wrong one, or with a valid API access
 * token is refused with 401 and learns nothing; the configured bearer token reads the metrics.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedCatalog, startHarness, type Harness } from './support/fast.js';
import { bearer, get } from './support/http.js';
import { notTheMetricsToken } from './support/metrics-token.js';

const METRICS_TOKEN = 'fast-metrics-token-0123456789abcdefghijk';

describe('/metrics with METRICS_TOKEN set', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ METRICS_TOKEN }, (db) => seedCatalog(db, 2));
  });
  after(() => h?.close());

  test('refuses every request without the token, with a challenge and no metric in the answer', async () => {
    const accessToken = await h.issuer.sign({ scope: 'catalog:read' });
    for (const headers of [{}, ...notTheMetricsToken(METRICS_TOKEN, accessToken)]) {
      const reply = await get(`${h.fast.url}/metrics`, headers);
      assert.equal(reply.status, 401, JSON.stringify(headers));
      assert.equal(reply.headers['www-authenticate'], 'Bearer realm="metrics"');
      assert.equal(reply.json.error, 'invalid_token');
      assert.match(String(reply.json.message), /METRICS_TOKEN/);
      assert.doesNotMatch(reply.text, /tandem_fast/);
    }
  });

  test('answers the configured token, and counts the refusals', async () => {
    const reply = await get(`${h.fast.url}/metrics`, bearer(METRICS_TOKEN));
    assert.equal(reply.status, 200);
    assert.match(reply.text, /^tandem_fast_requests_total\{route="metrics",status="401"\} 7$/m);
    const lower = await get(`${h.fast.url}/metrics`, { authorization: `bearer ${METRICS_TOKEN}` });
    assert.equal(lower.status, 200, 'the scheme is case-insensitive');
  });

  test('the reads of /v1 are not affected', async () => {
    const [{ id }] = await h.sql(`select id from products where sku = 'SKU-1'`);
    const token = await h.issuer.sign({ scope: 'catalog:read' });
    assert.equal((await get(`${h.fast.url}/v1/products/${id}`, bearer(token))).status, 200);
    assert.equal((await get(`${h.fast.url}/healthz`)).status, 200, 'health stays open for probes');
  });
});

describe('/metrics without METRICS_TOKEN', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h?.close());

  test('is open, as before', async () => {
    const reply = await get(`${h.fast.url}/metrics`);
    assert.equal(reply.status, 200);
    assert.match(reply.text, /tandem_fast_feed_ready 1/);
  });
});
