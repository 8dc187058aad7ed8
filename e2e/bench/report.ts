import type { GrantRates } from './auth-grants.js';
import type { Dialect } from './catalog.js';
import { efficiencyCheck, type PacedControl } from './efficiency-check.js';
import { busy, n, us } from './figures.js';
import type { OrdersLiveResults } from './orders-live.js';
import type { Percentiles } from './propagation.js';
import { ordersChecks, ordersLines, type DialectOrders } from './report-orders.js';
import { writesChecks, writesLines } from './report-writes.js';
import type { SnapshotResult } from './snapshot.js';
import type { Measurement } from './throughput.js';
import { LOAD_GENERATOR_BOUND } from './wrk.js';
import type { WritesResults } from './writes.js';

export interface ContestantRow {
  readonly name: string;
  readonly record: Measurement;
  readonly list: Measurement;
}

export interface DialectResults {
  readonly dialect: Dialect;
  readonly rows: readonly ContestantRow[];
  /** Tandem direct vs two replicas behind nginx (single-record GET). */
  readonly proxy?: { readonly direct: Measurement; readonly proxied: Measurement };
  readonly propagation: Percentiles;
  readonly grants: GrantRates;
  /**
   * The record GET again, ceiling and tandem only, with the ids drawn from the first `ids` products:
   * those records stay in the CPU's caches, so the difference to the table's row is what touching a
   * random record among all of them costs, and what is left over the ceiling is Tandem's own work.
   */
  readonly hotRecord?: HotControl;
  /**
   * The 100-item list again, ceiling and tandem only, with every page within the first `ids` products
   * (about `ids - 100` distinct pages whose bytes stay in the CPU's caches): the same split for a page.
   */
  readonly hotList?: HotControl;
  /**
   * The record GET again, ceiling and tandem only, every connection pausing `pauseMs` after each answer:
   * both get about the same request rate, wrk well under its bound, so their CPU per request compares
   * at equal load, not at whatever rate each could be driven to.
   */
  readonly pacedRecord?: PacedControl;
}

/** A control run over records that stay in the CPU's caches (DialectResults.hotRecord, hotList). */
export interface HotControl {
  readonly ids: number;
  readonly ceiling: Measurement;
  readonly tandem: Measurement;
}

export type { PacedControl } from './efficiency-check.js';

export interface BenchResults {
  readonly mode: 'quick' | 'full';
  readonly date: string;
  readonly machine: string;
  readonly plan: string;
  readonly dialects: readonly DialectResults[];
  readonly snapshots: readonly (SnapshotResult & { readonly dialect: Dialect })[];
  /** Issue 14's per-user orders, per dialect, and their live push (PostgreSQL only). */
  readonly orders?: readonly DialectOrders[];
  readonly ordersLive?: OrdersLiveResults;
  /** Issue 15's write path (PostgreSQL with a Redis queue only). */
  readonly writes?: WritesResults;
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

const ratio = (a: number, b: number) => (b > 0 ? `${n(a / b, 2)}×` : '–');
const mib = (bytes: number) => `${n(bytes / 2 ** 20, 1)} MiB`;
/** The contestant's share of the ceiling's per-request cost: ceiling CPU/request ÷ its CPU/request. */
const efficiency = (m: Measurement, ceiling: Measurement | undefined) =>
  ceiling ? ceiling.cpuPerRequestUs / m.cpuPerRequestUs : Number.NaN;
/** A req/s ratio only when neither side was set by wrk. */
const rateRatio = (m: Measurement, base: Measurement | undefined) =>
  !base
    ? '–'
    : m.loadGeneratorBound || base.loadGeneratorBound
      ? 'n/a (wrk-bound)'
      : ratio(m.requestsPerSecond, base.requestsPerSecond);

export function checkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const d of results.dialects) {
    const row = (name: string) => d.rows.find((r) => r.name === name);
    const tandem = row('tandem');
    const ceiling = row('ceiling');
    const express = row('express');
    const fastify = row('fastify');
    if (tandem && ceiling) {
      const list = efficiency(tandem.list, ceiling.list);
      checks.push(
        efficiencyCheck(
          `${d.dialect}: record GET efficiency ≥ 0.85 (ceiling CPU/request ÷ tandem's)`,
          { ceiling: ceiling.record, tandem: tandem.record },
          0.85,
          d.pacedRecord,
        ),
      );
      checks.push({
        target: `${d.dialect}: 100-item list efficiency ≥ 0.85`,
        measured: `${n(list, 2)} (${us(ceiling.list)} vs ${us(tandem.list)})`,
        met: list >= 0.85,
      });
      const p99 = tandem.record.p99Ms / ceiling.record.p99Ms;
      checks.push({
        target: `${d.dialect}: p99 ≤ 2 × ceiling p99`,
        measured: `${n(tandem.record.p99Ms, 2)} ms vs ${n(ceiling.record.p99Ms, 2)} ms (${n(p99, 2)}×)`,
        met: p99 <= 2,
      });
    }
    // CPU per request, not req/s: a slow contestant never loads wrk, a fast one may.
    if (tandem && express) {
      const r = express.record.cpuPerRequestUs / tandem.record.cpuPerRequestUs;
      checks.push({
        target: `${d.dialect}: tandem ≥ 20 × express (record, CPU/request)`,
        measured: `${n(r, 1)}×`,
        met: r >= 20,
      });
    }
    if (tandem && fastify) {
      const r = fastify.record.cpuPerRequestUs / tandem.record.cpuPerRequestUs;
      checks.push({
        target: `${d.dialect}: tandem ≥ 2 × fastify (record, CPU/request)`,
        measured: `${n(r, 2)}×`,
        met: r >= 2,
      });
    }
    const limit = d.dialect === 'postgresql' ? 20 : 50;
    checks.push({
      target: `${d.dialect}: change propagation p99 ≤ ${limit} ms`,
      measured: `${n(d.propagation.p99Ms, 1)} ms`,
      met: d.propagation.p99Ms <= limit,
    });
    checks.push({
      target: `${d.dialect}: refresh_token ≥ 1,500 tokens/s`,
      measured: `${n(d.grants.refresh.requestsPerSecond)}/s`,
      met: d.grants.refresh.requestsPerSecond >= 1500,
    });
    if (d.dialect === 'postgresql')
      checks.push({
        target: `${d.dialect}: authorization_code ≥ 2,000 exchanges/s`,
        measured: `${n(d.grants.authorizationCode.requestsPerSecond)}/s`,
        met: d.grants.authorizationCode.requestsPerSecond >= 2000,
      });
    checks.push({
      target: `${d.dialect}: client_credentials ≥ 4,000 tokens/s`,
      measured: `${n(d.grants.clientCredentials.requestsPerSecond)}/s`,
      met: d.grants.clientCredentials.requestsPerSecond >= 4000,
    });
  }
  for (const s of results.snapshots.filter((x) => x.products >= 1_000_000)) {
    checks.push({
      target: `${s.dialect}: 1M products snapshot ≤ 20 s`,
      measured: `${n(s.loadSeconds, 1)} s`,
      met: s.loadSeconds <= 20,
    });
    checks.push({
      target: `${s.dialect}: 1M products RSS ≤ 2 × prepared JSON`,
      measured: `${mib(s.rssBytes)} vs ${mib(s.preparedBytes)} (${ratio(s.rssBytes, s.preparedBytes)})`,
      met: s.rssBytes <= 2 * s.preparedBytes,
    });
  }
  checks.push(...ordersChecks(results.orders ?? [], results.ordersLive));
  checks.push(...writesChecks(results.writes));
  return checks;
}

/** How the figures are taken; the same text heads every run's BENCHMARKS.md. */
export function methodLines(results: Pick<BenchResults, 'machine' | 'plan'>): string[] {
  const bound = `${n(LOAD_GENERATOR_BOUND * 100)}%`;
  return [
    `**Machine:** ${results.machine}. Server under test pinned to core 0 (\`taskset -c 0\`), wrk (one thread) to core 1;`,
    `${results.plan}.`,
    '',
    "**Method.** The primary figure is the server's **CPU time per request**: utime + stime from `/proc/<pid>/stat` of",
    "every process of the contestant (all its threads; for the proxy row nginx's master and worker and both replicas),",
    'read before and after each measured run, divided by the responses wrk counted; the median of the runs.',
    "**Efficiency** = the ceiling's CPU/request ÷ the contestant's (1.00: as cheap per request as the bare server); the",
    'targets on the ceiling and on the alternatives are checked on it. Where wrk is the bound it still moves with the',
    "pace, so the catalog's record GET and both orders reads are measured a second time **at an equal pace** (every",
    'connection pausing after each answer, wrk far from its bound); their targets are met only if both runs meet them.',
    'The contestants stay up side by side and their runs interleave (one run of each per round), so load from',
    'elsewhere on the machine falls on all of them alike. req/s is shown beside it; it compares servers only while wrk is not the bound, so',
    "wrk's **busy share** of its core (its CPU time from `/proc`, read by a shell that waits for it, ÷ its wall time) is",
    `recorded for every run, and a measurement in which any run exceeded ${bound} is marked **wrk-bound**: its req/s`,
    'ratio is not shown. wrk sends **pre-formatted requests**: `wrk-request.lua` formats 10,000 GETs (random ids,',
    'bearer tokens drawn from a pool of 1,000 real ones) in `init()` and `request()` hands them out in turn;',
    '`wrk-refresh.lua` formats each refresh request when the answer carrying its token arrives. Before measuring, the',
    "harness runs every script's `request()` 10,000 times inside wrk's LuaJIT with the collector stopped and refuses",
    'to start if it allocated (`wrk-pool-check.lua`): building a request allocates, handing one out does not. Every',
    'contestant, the ceiling included, receives the same requests, `Authorization` header included.',
    "The database is not counted in any CPU figure (PostgreSQL backends are not the contestant's processes; SQLite runs",
    'in-process), which flatters express on PostgreSQL and the auth service. Figures compare within one run only.',
    '',
  ];
}

/** A control's two contestants side by side: CPU per request, the wrk core's share, efficiency. */
const controlFigures = ({
  ceiling,
  tandem,
}: {
  readonly ceiling: Measurement;
  readonly tandem: Measurement;
}) =>
  `ceiling ${us(ceiling)} (wrk ${busy(ceiling)}), tandem ${us(tandem)} (wrk ${busy(tandem)}), efficiency ${n(efficiency(tandem, ceiling), 2)}`;

/**
 * How Tandem's cost over the ceiling splits, by a hot control: its own work is what is left over the
 * ceiling on hot records, the rest is the cold read. When the control's own work comes out below zero
 * or above the whole difference, the runs' spread is larger than the split, and the sentence says so
 * instead of printing a negative share.
 */
function hotSplit(
  tandem: Measurement,
  ceiling: Measurement,
  hot: HotControl,
  unit: string,
  cold: string,
): string {
  const total = tandem.cpuPerRequestUs - ceiling.cpuPerRequestUs;
  const own = hot.tandem.cpuPerRequestUs - hot.ceiling.cpuPerRequestUs;
  if (own < 0 || own > total)
    return `This run cannot split the ${n(total, 2)} µs above: the control's difference (${n(own, 2)} µs) is not inside it, so the runs' spread on this machine was larger than the split`;
  return `So of the ${n(total, 2)} µs above, ${n(own, 2)} µs is Tandem's own work per ${unit} and ${n(total - own, 2)} µs ${cold}`;
}

export function renderMarkdown(results: BenchResults, notes: string): string {
  return [
    '# Benchmarks',
    '',
    `Latest ${results.mode} run of \`npm run bench${results.mode === 'full' ? ' -- --full' : ''}\`, ${results.date}.`,
    'Sections measured again later on their own (`--only`) follow the full run, each with its date and targets.',
    '',
    ...methodLines(results),
    ...contestantLines(),
    ...sectionLines(results),
    ...targetLines(results),
    notes.trim(),
    '',
  ].join('\n');
}

/** Where a partial run's block starts and ends in BENCHMARKS.md (one block per set of sections). */
export const partialMarkers = (sections: string) =>
  [`<!-- partial run: ${sections} -->`, `<!-- end of partial run: ${sections} -->`] as const;

/**
 * A run of some sections only (`--only`): their tables and targets, dated, as a block that replaces the
 * previous block of the same sections in BENCHMARKS.md and leaves the full run's figures as they were.
 */
export function renderPartial(results: BenchResults, sections: string): string {
  const [start, end] = partialMarkers(sections);
  return [
    start,
    `## Re-measured on their own: ${sections} (\`npm run bench --${results.mode === 'full' ? ' --full' : ''} --only=${sections}\`, ${results.date})`,
    '',
    `**Machine:** ${results.machine}; ${results.plan}. Method as above.`,
    '',
    ...sectionLines(results).map((line) => (line.startsWith('## ') ? `#${line}` : line)),
    ...targetLines(results).map((line) => (line === '## Targets' ? '### Targets of this run' : line)),
    end,
  ].join('\n');
}

/** The partial block put in place of its previous version, else before the full run's targets. */
export function splicePartial(document: string, block: string, sections: string): string {
  const [start, end] = partialMarkers(sections);
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from >= 0 && to > from) return document.slice(0, from) + block + document.slice(to + end.length);
  const targets = document.indexOf('\n## Targets\n');
  return targets < 0
    ? `${document.trimEnd()}\n\n${block}\n`
    : `${document.slice(0, targets + 1)}${block}\n\n${document.slice(targets + 1)}`;
}

function contestantLines(): string[] {
  return [
    'Contestants, all serving the same bytes for `GET /v1/products/{id}` (random id per request) and a 100-item list:',
    '**ceiling**: bare uWebSockets.js answering a constant buffer (no auth, no lookup; it ignores the headers it is sent);',
    '**tandem**: the real fast service with real tokens from the auth service (a pool of 1,000); **express**: Express 5 +',
    'jose verifying every request + MikroORM loading the row + `res.json`; **fastify**: Fastify 5 + @fastify/jwt',
    '(verified-token cache on) + an in-memory map.',
    '',
  ];
}

function targetLines(results: BenchResults): string[] {
  const lines = ['## Targets', '', '| target | measured | met |', '|---|---|---|'];
  for (const check of checkTargets(results))
    lines.push(`| ${check.target} | ${check.measured} | ${check.met ? 'yes' : '**no**'} |`);
  lines.push('');
  return lines;
}

/** Every measured section's tables and sentences, in the report's order. */
function sectionLines(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const d of results.dialects) {
    const tandem = d.rows.find((r) => r.name === 'tandem');
    const ceiling = d.rows.find((r) => r.name === 'ceiling');
    lines.push(`## ${d.dialect === 'postgresql' ? 'PostgreSQL' : 'SQLite'}`, '');
    lines.push(
      '| contestant | record CPU/req | efficiency | req/s | × ceiling | wrk busy | p50 | p99 | list CPU/req | efficiency | list req/s | × ceiling | wrk busy |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of d.rows) {
      lines.push(
        `| ${r.name} | ${us(r.record)} | ${n(efficiency(r.record, ceiling?.record), 2)} | ${n(r.record.requestsPerSecond)} | ${rateRatio(r.record, ceiling?.record)} | ${busy(r.record)} | ${n(r.record.p50Ms, 2)} ms | ${n(r.record.p99Ms, 2)} ms | ${us(r.list)} | ${n(efficiency(r.list, ceiling?.list), 2)} | ${n(r.list.requestsPerSecond)} | ${rateRatio(r.list, ceiling?.list)} | ${busy(r.list)} |`,
      );
    }
    lines.push('');
    if (tandem) {
      lines.push(
        `Tandem costs ${n(tandem.record.cpuPerRequestUs - (ceiling?.record.cpuPerRequestUs ?? Number.NaN), 2)} µs of CPU per record GET and ${n(tandem.list.cpuPerRequestUs - (ceiling?.list.cpuPerRequestUs ?? Number.NaN), 2)} µs per list page on top of the ceiling.`,
        '',
      );
    }
    if (d.hotRecord && tandem && ceiling) {
      const { ids } = d.hotRecord;
      lines.push(
        `Where that goes: the same record GETs with ids drawn from ${n(ids)} products instead of all of them (those records stay in the CPU's caches; everything else alike, interleaved): ${controlFigures(d.hotRecord)}. ${hotSplit(tandem.record, ceiling.record, d.hotRecord, 'request', 'reading one record at random among all of them, which the ceiling (one constant buffer) never does')} (e2e/bench/notes.md).`,
        '',
      );
    }
    if (d.hotList && tandem && ceiling) {
      const { ids } = d.hotList;
      lines.push(
        `And for a list page: the same 100-item pages, each within the first ${n(ids)} products (their bytes stay in the CPU's caches; interleaved): ${controlFigures(d.hotList)}. ${hotSplit(tandem.list, ceiling.list, d.hotList, "page (copying the page's bytes into one buffer included)", 'reading a page at random among all of them')}.`,
        '',
      );
    }
    if (d.pacedRecord && tandem && ceiling) {
      const paced = d.pacedRecord;
      lines.push(
        `At an equal pace (every connection waiting ${n(paced.pauseMs)} ms after each answer: ceiling ${n(paced.ceiling.requestsPerSecond)} req/s, tandem ${n(paced.tandem.requestsPerSecond)} req/s), the record GET costs ${controlFigures(paced)}, against ${n(efficiency(tandem.record, ceiling.record), 2)} in the table: CPU per request compared at the same load, with wrk far from setting the pace.`,
        '',
      );
    }
    if (d.proxy) {
      const { direct, proxied } = d.proxy;
      lines.push(
        `Proxy hop (record GET): tandem direct ${us(direct)} CPU/request (${n(direct.requestsPerSecond)} req/s, wrk ${busy(direct)}); two replicas behind nginx ${us(proxied)} CPU/request across nginx and both replicas (${n(proxied.requestsPerSecond)} req/s, p99 ${n(proxied.p99Ms, 2)} ms, wrk ${busy(proxied)}): the hop costs ${n(proxied.cpuPerRequestUs - direct.cpuPerRequestUs, 2)} µs per request. nginx and both replicas share core 0, so this shows the cost of the hop, not the gain of replicas.`,
        '',
      );
    }
    const grant = (name: string, m: Measurement) =>
      `${name} ${n(m.requestsPerSecond)} tokens/s, ${n(m.cpuPerRequestUs)} µs of auth CPU per token (wrk ${busy(m)})`;
    lines.push(
      `Change propagation (commit → WebSocket frame, ${d.propagation.count} changes): p50 ${n(d.propagation.p50Ms, 2)} ms, p99 ${n(d.propagation.p99Ms, 2)} ms.`,
      '',
      `Auth service (pinned to core 0, wrk with 32 connections on core 1; the database shares both cores and is not counted): ${grant('refresh_token', d.grants.refresh)} (each answer's refresh token spent by a later request); ${grant('client_credentials', d.grants.clientCredentials)}; ${grant('authorization_code', d.grants.authorizationCode)} (code → access, refresh and ID token; a public client with PKCE; a pool of codes inserted before each run).`,
      '',
    );
  }
  if (results.snapshots.length > 0) {
    lines.push(
      '## Snapshot load',
      '',
      '| database | products | load (process start → ready) | RSS | prepared JSON | RSS / JSON |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const s of results.snapshots) {
      lines.push(
        `| ${s.dialect} | ${n(s.products)} | ${n(s.loadSeconds, 2)} s | ${mib(s.rssBytes)} | ${mib(s.preparedBytes)} | ${ratio(s.rssBytes, s.preparedBytes)} |`,
      );
    }
    lines.push('');
  }
  lines.push(...ordersLines(results.orders ?? [], results.ordersLive));
  lines.push(...writesLines(results.writes));
  return lines;
}
