/**
 * A latency figure measured while both cores were busy is a backlog on that machine, not what the write
 * path costs: the report must say so beside the figure and in its target row, and must not say so
 * when the machine had a core to spare.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writesChecks, writesLines } from '../bench/report-writes.js';
import { machineSharesBetween, readMachineCpu } from '../bench/cpu-time.js';
import { WRITES_BENCH, type WritesResults } from '../bench/writes.js';

const measurement = {
  requestsPerSecond: 10_000,
  p50Ms: 1,
  p99Ms: 2,
  cpuPerRequestUs: 100,
  wrkBusyShare: 0.4,
  loadGeneratorBound: false,
  runs: [],
};

function results(machineBusyShare: number, fastNice: number | undefined): WritesResults {
  return {
    size: WRITES_BENCH,
    fastNice,
    accepted: { ...measurement, redisCpuPerRequestUs: 60 },
    express: { ...measurement, requestsPerSecond: 100, databaseCpuPerRequestUs: 3000 },
    drain: {
      orders: 100,
      applied: 100,
      rejected: 0,
      seconds: 1,
      perSecond: 100,
      wallSeconds: 2,
      applierCpuPerOrderUs: 200,
      databaseCpuPerOrderUs: 300,
      feedCatchUpSeconds: 0,
    },
    latency: {
      plannedPerSecond: 1000,
      achievedPerSecond: 999,
      statuses: { '201': 10 },
      commitToFrame: { p50Ms: 100, p99Ms: 300, count: 10 },
      writeToVisible: { p50Ms: 200, p99Ms: 600, count: 10 },
      framesMissing: 0,
      getChecks: 1,
      getMisses: 0,
      clientBusyShare: 0.4,
      machineBusyShare,
      machineStealShare: 0.07,
    },
  };
}

const latencyRows = (w: WritesResults) => writesLines(w).filter((line) => /^\| (commit|write) →/.test(line));
const latencyChecks = (w: WritesResults) =>
  writesChecks(w).filter((check) => check.target.includes('p99 ≤ 50 ms'));

test('latency measured on a saturated machine is marked machine-bound, row and target', () => {
  const saturated = results(0.97, -10);
  for (const row of latencyRows(saturated))
    assert.match(row, /both cores 97% busy \(7% taken by the host\) \*\*machine-bound\*\*/);
  for (const check of latencyChecks(saturated)) {
    assert.match(check.measured, /machine-bound/);
    assert.equal(check.met, false);
  }
  const spare = results(0.6, -10);
  for (const row of latencyRows(spare)) {
    assert.match(row, /both cores 60% busy/);
    assert.doesNotMatch(row, /machine-bound/);
  }
  for (const check of latencyChecks(spare)) assert.doesNotMatch(check.measured, /machine-bound/);
  assert.equal(latencyRows(spare).length, 2);
});

test('the latency rows say at which priority fast ran, and that the machine did not allow one it was not given', () => {
  const raised = results(0.6, -10);
  for (const check of latencyChecks(raised)) assert.match(check.measured, /fast at FAST_NICE=-10/);
  assert.ok(writesLines(raised).some((line) => /In this whole section fast at FAST_NICE=-10/.test(line)));
  const inherited = results(0.6, undefined);
  for (const check of latencyChecks(inherited)) {
    assert.match(check.measured, /fast at the inherited priority/);
    assert.doesNotMatch(check.measured, /FAST_NICE=/);
  }
});

test("the machine's busy share is read from /proc/stat and grows with work done", () => {
  const before = readMachineCpu();
  const until = performance.now() + 200;
  while (performance.now() < until); // one core busy for 200 ms
  const shares = machineSharesBetween(before, readMachineCpu());
  assert.ok(shares.busy > 0.2 && shares.busy <= 1, `busy share ${shares.busy}`);
  assert.ok(shares.steal >= 0 && shares.steal <= shares.busy);
});
