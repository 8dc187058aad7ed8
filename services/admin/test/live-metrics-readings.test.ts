/**
 * The live dashboard's arithmetic on the services' Prometheus text: parsing what prom-client and
 * fast write, rates from counters (restarts included), gauges, and a histogram's p99.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheusText } from '../src/metrics/prometheus-text.js';
import { counterRate, gauge, histogramP99Ms } from '../src/metrics/readings.js';

const FAST_BEFORE = `# HELP tandem_fast_requests_total HTTP requests by route and status.
# TYPE tandem_fast_requests_total counter
tandem_fast_requests_total{route="record",status="200"} 10
tandem_fast_requests_total{route="list",status="200"} 5
tandem_fast_requests_total{route="record",status="401"} 2
tandem_fast_feed_lag_events 3
`;
const FAST_NOW = `tandem_fast_requests_total{route="record",status="200"} 30
tandem_fast_requests_total{route="list",status="200"} 5
tandem_fast_requests_total{route="record",status="401"} 12
tandem_fast_requests_total{route="not_found",status="404"} 5
tandem_fast_feed_lag_events 0
`;

describe('reading the services’ metrics', () => {
  it('parses labels (escaped quotes, commas, braces), special values and timestamps; skips broken lines', () => {
    const samples = parsePrometheusText(
      [
        '# HELP x help with "quotes"',
        'a_total{grant_type="client_credentials",error="invalid_client"} 4',
        'b{path="/v1/{collection}",msg="say \\"hi\\", ok\\n"} 1.5e3 1700000000000',
        'c_bucket{le="+Inf"} +Inf',
        'd NaN',
        'broken{label="x" 3',
        'e{} 7',
        '{no="name"} 1',
        'f not-a-number',
      ].join('\n'),
    );
    assert.deepEqual(
      samples.map((s) => [s.name, { ...s.labels }, s.value]),
      [
        ['a_total', { grant_type: 'client_credentials', error: 'invalid_client' }, 4],
        ['b', { path: '/v1/{collection}', msg: 'say "hi", ok\n' }, 1500],
        ['c_bucket', { le: '+Inf' }, Infinity],
        ['d', {}, NaN],
        ['e', {}, 7],
      ],
    );
  });

  it('turns counters into per-second rates by status class, with the count of requests between scrapes', () => {
    const read = counterRate('tandem_fast_requests_total', (l) => `${l.status![0]}xx`);
    const before = parsePrometheusText(FAST_BEFORE);
    const now = parsePrometheusText(FAST_NOW);
    assert.deepEqual(
      read(before, undefined, 0),
      { values: { '2xx': null, '4xx': null } },
      'first scrape: no rate',
    );
    const reading = read(now, before, 5);
    assert.deepEqual(reading.counts, { '2xx': 20, '4xx': 15 });
    assert.deepEqual(reading.values, { '2xx': 4, '4xx': 3 });
    // The service restarted: its counters start from 0, so the new value is the increase.
    const restarted = read(parsePrometheusText('tandem_fast_requests_total{status="200"} 4'), now, 5);
    assert.deepEqual(restarted.counts, { '2xx': 4 });
  });

  it('reads gauges as they are', () => {
    assert.deepEqual(
      gauge('tandem_fast_feed_lag_events', 'events')(parsePrometheusText(FAST_NOW), undefined, 0),
      {
        values: { events: 0 },
      },
    );
    assert.deepEqual(gauge('missing', 'x')([], undefined, 0), { values: { x: null } });
  });

  it('computes the p99 of what a histogram observed between two scrapes', () => {
    const histogram = (counts: [string, number][]) =>
      parsePrometheusText(
        counts
          .map(([le, n]) => `t_seconds_bucket{grant_type="client_credentials",le="${le}"} ${n}`)
          .join('\n'),
      );
    const p99 = histogramP99Ms('t_seconds', 'p99');
    const before = histogram([
      ['0.001', 0],
      ['0.01', 0],
      ['0.1', 0],
      ['+Inf', 0],
    ]);
    // 100 new observations: 90 under 1 ms, 8 under 10 ms, 2 under 100 ms; the 99th is in (10, 100] ms.
    const now = histogram([
      ['0.001', 90],
      ['0.01', 98],
      ['0.1', 100],
      ['+Inf', 100],
    ]);
    const value = p99(now, before, 5).values.p99!;
    assert.ok(Math.abs(value - 55) < 1e-9, `p99 ${value} ms`);
    assert.deepEqual(p99(now, now, 5).values, { p99: null }, 'nothing observed: no p99');
    const slow = histogram([
      ['0.001', 0],
      ['0.01', 0],
      ['0.1', 0],
      ['+Inf', 10],
    ]);
    assert.equal(p99(slow, before, 5).values.p99, 100, 'beyond the last bucket: its bound');
  });
});
