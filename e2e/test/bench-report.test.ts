/**
 * BENCHMARKS.md keeps the full run's figures when a section is measured again on its own (`--only`):
 * the partial block goes before the full run's targets, replaces its own earlier version, and never
 * touches anything else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ordersChecks, type DialectOrders } from '../bench/report-orders.js';
import {
  checkTargets,
  partialMarkers,
  renderMarkdown,
  splicePartial,
  type BenchResults,
} from '../bench/report.js';
import type { Measurement } from '../bench/throughput.js';

const FULL = [
  '# Benchmarks',
  '',
  '## SQLite',
  '',
  'full figures',
  '',
  '## Targets',
  '',
  '| a | b | yes |',
  '',
].join('\n');
const block = (text: string) => {
  const [start, end] = partialMarkers('writes');
  return `${start}\n## Re-measured on their own: writes\n\n${text}\n${end}`;
};

test('a partial block goes before the full run’s targets, the rest untouched', () => {
  const spliced = splicePartial(FULL, block('first'), 'writes');
  assert.ok(spliced.indexOf('first') < spliced.indexOf('## Targets'));
  assert.ok(spliced.indexOf('full figures') < spliced.indexOf('first'));
  assert.equal(spliced.replace(`${block('first')}\n\n`, ''), FULL);
});

test('a later partial run of the same sections replaces its block, not the full run', () => {
  const once = splicePartial(FULL, block('first'), 'writes');
  const twice = splicePartial(once, block('second'), 'writes');
  assert.ok(!twice.includes('first'));
  assert.equal(twice.split('<!-- partial run: writes -->').length, 2, 'one block');
  assert.equal(twice, once.replace('first', 'second'));
});

test('another set of sections gets its own block', () => {
  const writes = splicePartial(FULL, block('writes figures'), 'writes');
  const [start, end] = partialMarkers('catalog');
  const both = splicePartial(writes, `${start}\ncatalog figures\n${end}`, 'catalog');
  assert.ok(both.includes('writes figures') && both.includes('catalog figures'));
});

test('a document without targets gets the block at its end', () => {
  assert.equal(splicePartial('# Benchmarks\n', block('x'), 'writes'), `# Benchmarks\n\n${block('x')}\n`);
});

/** A measurement as the harness summarizes one (medians of runs), for the report's sentences. */
const m = (cpuPerRequestUs: number, requestsPerSecond = 100_000, wrkBusyShare = 0.8): Measurement => ({
  requestsPerSecond,
  p50Ms: 0.5,
  p99Ms: 2,
  cpuPerRequestUs,
  wrkBusyShare,
  loadGeneratorBound: wrkBusyShare > 0.9,
  runs: [],
});

/** A quick run's results with these dialects' figures and nothing else. */
const resultsOf = (dialects: BenchResults['dialects']): BenchResults => ({
  mode: 'quick',
  date: 'today',
  machine: 'test',
  plan: 'test',
  dialects,
  snapshots: [],
});

test('the hot-record and hot-list controls split Tandem’s cost over the ceiling into its own work and the random record’s or page’s', () => {
  const results = resultsOf([
    {
      dialect: 'sqlite',
      rows: [
        { name: 'ceiling', record: m(4.5), list: m(13) },
        { name: 'tandem', record: m(6.7), list: m(22) },
      ],
      propagation: { p50Ms: 1, p99Ms: 2, count: 10 },
      grants: { clientCredentials: m(300), refresh: m(300), authorizationCode: m(300) },
      hotRecord: { ids: 100, ceiling: m(4.4), tandem: m(4.9) },
      hotList: { ids: 200, ceiling: m(12.5), tandem: m(16) },
    },
  ]);
  const markdown = renderMarkdown(results, '');
  assert.match(markdown, /Tandem costs 2\.20 µs of CPU per record GET/);
  assert.match(markdown, /ids drawn from 100 products instead of all of them/);
  assert.match(markdown, /ceiling 4\.40 µs \(wrk 80%\), tandem 4\.90 µs \(wrk 80%\), efficiency 0\.90/);
  assert.match(
    markdown,
    /of the 2\.20 µs above, 0\.50 µs is Tandem's own work per request and 1\.70 µs reading one record/,
  );
  assert.match(markdown, /each within the first 200 products/);
  assert.match(markdown, /ceiling 12\.50 µs \(wrk 80%\), tandem 16\.00 µs \(wrk 80%\), efficiency 0\.78/);
  assert.match(
    markdown,
    /of the 9\.00 µs above, 3\.50 µs is Tandem's own work per page \(copying the page's bytes into one buffer included\) and 5\.50 µs reading a page at random/,
  );
  const without = renderMarkdown(
    { ...results, dialects: [{ ...results.dialects[0]!, hotRecord: undefined, hotList: undefined }] },
    '',
  );
  assert.doesNotMatch(without, /Where that goes/);
  assert.doesNotMatch(without, /And for a list page/);
  // A control that cost more over the ceiling than the table's run: no negative share is printed.
  const noisy = renderMarkdown(
    {
      ...results,
      dialects: [{ ...results.dialects[0]!, hotList: { ids: 200, ceiling: m(12), tandem: m(24) } }],
    },
    '',
  );
  assert.match(
    noisy,
    /This run cannot split the 9\.00 µs above: the control's difference \(12\.00 µs\) is not inside it/,
  );
  assert.doesNotMatch(noisy, /-\d+\.\d+ µs reading a page/);
});

/** One dialect's results with these record GETs of the ceiling and Tandem (the rest fixed, unremarkable). */
const withRecordGets = (dialect: 'sqlite' | 'postgresql', ceiling: Measurement, tandem: Measurement) => ({
  dialect,
  rows: [
    { name: 'ceiling' as const, record: ceiling, list: m(30, 25_000, 0.9) },
    { name: 'tandem' as const, record: tandem, list: m(40, 24_000, 0.8) },
  ],
  propagation: { p50Ms: 1, p99Ms: 2, count: 10 },
  grants: {
    clientCredentials: m(300, 5000, 0.1),
    refresh: m(300, 2000, 0.1),
    authorizationCode: m(300, 2000, 0.1),
  },
});

test('the paced control compares CPU per request at the same rate, beside the table’s efficiency', () => {
  const dialect = withRecordGets('postgresql', m(8, 110_000, 0.96), m(10, 80_000, 0.86));
  const results = resultsOf([
    {
      ...dialect,
      pacedRecord: { pauseMs: 1, ceiling: m(8.5, 39_000, 0.4), tandem: m(10.9, 39_500, 0.44) },
    },
  ]);
  const markdown = renderMarkdown(results, '');
  assert.match(
    markdown,
    /At an equal pace \(every connection waiting 1 ms after each answer: ceiling 39,000 req\/s, tandem 39,500 req\/s\), the record GET costs ceiling 8\.50 µs \(wrk 40%\), tandem 10\.90 µs \(wrk 44%\), efficiency 0\.78, against 0\.80 in the table/,
  );
  assert.doesNotMatch(renderMarkdown({ ...results, dialects: [dialect] }, ''), /At an equal pace/);
});

test('an efficiency target is met only if the paced control meets it too: a wrk-bound table is not enough', () => {
  const dialect = withRecordGets('sqlite', m(13.45, 68_000, 0.96), m(15.26, 60_000, 0.95));
  const recordCheck = (paced?: { ceiling: Measurement; tandem: Measurement }) =>
    checkTargets(resultsOf([{ ...dialect, ...(paced && { pacedRecord: { pauseMs: 1, ...paced } }) }])).find(
      (c) => c.target.startsWith('sqlite: record GET efficiency'),
    )!;
  // The table alone (0.88) meets 0.85; at an equal pace the same build reads 0.81.
  assert.equal(recordCheck().met, true);
  const slowPaced = recordCheck({ ceiling: m(12.85, 28_000, 0.6), tandem: m(15.97, 29_000, 0.65) });
  assert.equal(slowPaced.met, false);
  assert.match(
    slowPaced.measured,
    /^0\.88 \(13\.45 µs vs 15\.26 µs\); at an equal pace 0\.80 \(12\.85 µs vs 15\.97 µs\)$/,
  );
  assert.equal(recordCheck({ ceiling: m(13, 28_000, 0.6), tandem: m(14.5, 29_000, 0.65) }).met, true);
});

test('the orders reads are judged at the table’s load and at an equal pace, each against its own target', () => {
  const size = { users: 100, orders: 1000, tokens: 10, listItems: 50 };
  const pair = (ceiling: number, tandem: number) => ({ ceiling: m(ceiling), tandem: m(tandem) });
  const orders = {
    dialect: 'postgresql' as const,
    size,
    record: pair(15, 17), // 0.88
    list: pair(17, 22), // 0.77
  };
  const verdicts = (paced: Pick<DialectOrders, 'pacedRecord' | 'pacedList'>) =>
    ordersChecks([{ ...orders, ...paced }], undefined).map((c) => c.met);
  assert.deepEqual(verdicts({}), [true, true], 'no paced control: the table decides');
  assert.deepEqual(
    verdicts({ pacedRecord: { pauseMs: 1, ...pair(13, 16) }, pacedList: { pauseMs: 1, ...pair(15, 20) } }),
    [false, true],
    'my order 0.81 at an equal pace misses 0.85; my orders 0.75 meets 0.7',
  );
  assert.deepEqual(
    verdicts({ pacedRecord: { pauseMs: 1, ...pair(13, 15) }, pacedList: { pauseMs: 1, ...pair(15, 22) } }),
    [true, false],
  );
});
