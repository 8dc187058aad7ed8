/**
 * The sampled latency histogram of the /v1 reads (src/observability/latency.ts): one request in
 * LATENCY_SAMPLE_EVERY is timed, whether its token was cached (answered in the handler) or still had to
 * be verified (answered later, timed until then), and /metrics lists it as a Prometheus histogram.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { LATENCY_SAMPLE_EVERY, RequestLatency } from '../src/observability/latency.js';
import { seedCatalog, startHarness, type Harness } from './support/fast.js';
import { bearer, get } from './support/http.js';

const res = {} as HttpResponse;
const req = {} as HttpRequest;

describe('RequestLatency', () => {
  test('times one call in sampleEvery, and only those', () => {
    const latency = new RequestLatency(4);
    let calls = 0;
    const handler = latency.sampled('record', () => {
      calls += 1;
    });
    for (let i = 0; i < 10; i++) handler(res, req);
    assert.equal(calls, 10, 'every request is handled');
    assert.equal(latency.byRoute.get('record')!.count, 2, 'the 4th and the 8th are timed');
  });

  test('a sampled request answered later is timed until it is answered, once', async () => {
    const latency = new RequestLatency(1);
    const answers: Array<() => void> = [];
    const handler = latency.sampled('list', () => {
      const timed = latency.deferred();
      assert.ok(timed, 'the running request is a sampled one');
      answers.push(timed);
    });
    handler(res, req);
    const histogram = latency.byRoute.get('list')!;
    assert.equal(histogram.count, 0, 'not counted when the handler returns');
    await new Promise((resolve) => setTimeout(resolve, 30));
    answers[0]!();
    assert.equal(histogram.count, 1);
    assert.ok(histogram.sumSeconds >= 0.025, `${histogram.sumSeconds} s covers the wait`);
    assert.equal(latency.deferred(), undefined, 'outside a sampled handler nothing is timed');
  });

  test('a handler that throws is still timed, and the next request is not mistaken for it', () => {
    const latency = new RequestLatency(1);
    const handler = latency.sampled('record', () => {
      throw new Error('boom');
    });
    assert.throws(() => handler(res, req), /boom/);
    assert.equal(latency.byRoute.get('record')!.count, 1);
    assert.equal(latency.deferred(), undefined);
  });

  test('refuses a sampling rate that is not a positive integer', () => {
    for (const every of [0, -1, 1.5, Number.NaN])
      assert.throws(() => new RequestLatency(every), /positive integer/);
  });
});

describe('/metrics lists the sampled durations', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({}, (db) => seedCatalog(db, 5));
  });
  after(() => h?.close());

  /** The histogram's samples for one route, by series ("_count", "_bucket{le=...}"). */
  const series = async (route: string) => {
    const text = (await get(`${h.fast.url}/metrics`)).text;
    const found = new Map<string, number>();
    for (const line of text.split('\n')) {
      const match = /^tandem_fast_request_duration_seconds(_\w+)\{([^}]*)\} (\S+)$/.exec(line);
      if (!match || !match[2]!.includes(`route="${route}"`)) continue;
      const le = /le="([^"]+)"/.exec(match[2]!)?.[1];
      found.set(le ? `${match[1]}{le=${le}}` : match[1]!, Number(match[3]));
    }
    return { text, found };
  };

  test('record reads: the cached path and a token verified late are both timed', async () => {
    const { text } = await series('record');
    assert.match(text, /# TYPE tandem_fast_request_duration_seconds histogram/);
    const [{ id }] = await h.sql(`select id from products where sku = 'SKU-1'`);
    const url = `${h.fast.url}/v1/products/${id}`;
    const token = await h.issuer.sign();
    for (let i = 1; i < LATENCY_SAMPLE_EVERY; i++) assert.equal((await get(url, bearer(token))).status, 200);
    assert.equal((await series('record')).found.get('_count'), 0, 'nothing sampled yet');
    // The sampled request carries a token fast has not verified yet: it is answered after the check.
    const fresh = await h.issuer.sign({ sub: 'someone-else' });
    assert.equal((await get(url, bearer(fresh))).status, 200);
    for (let i = 0; i < LATENCY_SAMPLE_EVERY; i++) await get(url, bearer(token));
    const { found } = await series('record');
    assert.equal(found.get('_count'), 2);
    assert.equal(found.get('_bucket{le=+Inf}'), 2);
    assert.ok(found.get('_sum')! > 0);
    const cumulative = [...found].filter(([key]) => key.startsWith('_bucket')).map(([, value]) => value);
    assert.deepEqual(
      cumulative,
      [...cumulative].sort((a, b) => a - b),
      'buckets are cumulative',
    );
  });

  test('list reads have their own series; refused reads are timed too', async () => {
    for (let i = 0; i < LATENCY_SAMPLE_EVERY; i++)
      assert.equal((await get(`${h.fast.url}/v1/products`)).status, 401);
    const { found } = await series('list');
    assert.equal(found.get('_count'), 1);
    assert.equal((await series('record')).found.get('_count'), 2, 'the record series is unchanged');
  });
});
