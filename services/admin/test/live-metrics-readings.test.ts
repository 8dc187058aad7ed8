/**
 * The live dashboard's arithmetic on the services' Prometheus text: parsing what prom-client and
 * fast write, rates from counters (restarts included), gauges, and a histogram's p99.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheusText } from '../src/metrics/prometheus-text.js';
import { LiveSeries } from '../src/metrics/live-series.js';
import { PLOTS } from '../src/metrics/plots.js';
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

describe('the write path’s plots (fast’s write queue and write outcomes)', () => {
  const plot = (id: string) => {
    const spec = PLOTS.find((p) => p.id === id);
    assert.ok(spec, id);
    assert.equal(spec.service, 'fast');
    return spec;
  };
  // As fast writes them (services/fast/src/observability/scrape.ts): accepted and replayed always
  // listed, a refusal once it happened; the depth left out when the queue did not answer.
  const before = parsePrometheusText(`# TYPE tandem_fast_writes_total counter
tandem_fast_writes_total{outcome="accepted"} 100
tandem_fast_writes_total{outcome="replayed"} 0
# TYPE tandem_fast_write_queue_depth gauge
tandem_fast_write_queue_depth 40
`);
  const now = parsePrometheusText(`tandem_fast_writes_total{outcome="accepted"} 150
tandem_fast_writes_total{outcome="replayed"} 5
tandem_fast_writes_total{outcome="validation_failed"} 10
tandem_fast_writes_total{outcome="queue_full"} 25
tandem_fast_write_queue_depth 3
`);

  it('reads the queue depth as fast reported it, and a gap when fast could not ask the queue', () => {
    const depth = plot('fast_write_queue_depth');
    assert.deepEqual(depth.read(now, before, 5), { values: { depth: 3 } });
    assert.deepEqual(
      depth.read(before, undefined, 0),
      { values: { depth: 40 } },
      'a gauge needs no previous scrape',
    );
    const unanswered = parsePrometheusText('tandem_fast_writes_total{outcome="accepted"} 150\n');
    assert.deepEqual(depth.read(unanswered, now, 5), { values: { depth: null } }, 'unknown, not 0');
  });

  it('turns the write counter into writes per second by outcome, a refusal appearing with its first count', () => {
    const writes = plot('fast_writes');
    assert.deepEqual(writes.series, ['accepted', 'replayed']);
    const reading = writes.read(now, before, 5);
    assert.deepEqual(reading.counts, { accepted: 50, replayed: 5, validation_failed: 10, queue_full: 25 });
    assert.deepEqual(reading.values, { accepted: 10, replayed: 1, validation_failed: 2, queue_full: 5 });
    // The fast node restarted: its counters start again from 0.
    const restarted = writes.read(
      parsePrometheusText('tandem_fast_writes_total{outcome="accepted"} 7\n'),
      now,
      5,
    );
    assert.deepEqual(restarted.counts, { accepted: 7 });
  });

  it('keeps an hour of both in the dashboard’s series: the declared outcomes first, refusals after', () => {
    const series = new LiveSeries(
      PLOTS.filter((p) => p.id.startsWith('fast_write')),
      3600,
    );
    for (const spec of PLOTS.filter((p) => p.id.startsWith('fast_write'))) {
      series.add(spec.id, 1000, spec.read(before, undefined, 0));
      series.add(spec.id, 1005, spec.read(now, before, 5));
    }
    const [depth, writes] = series.snapshot();
    assert.deepEqual(depth?.data, [
      [1000, 1005],
      [40, 3],
    ]);
    assert.deepEqual(writes?.series, ['accepted', 'replayed', 'queue_full', 'validation_failed']);
    assert.deepEqual(writes?.totals, { accepted: 50, replayed: 5, validation_failed: 10, queue_full: 25 });
    assert.deepEqual(writes?.data.slice(1), [
      [null, 10],
      [null, 1],
      [null, 5],
      [null, 2],
    ]);
  });
});
