/**
 * BENCHMARKS.md rows for issue 14's per-user orders: the record GET and "my orders" list against the
 * same-bytes ceiling (orders.ts) and the WebSocket push to 1,000 vs 10,000 subscribed owners
 * (orders-live.ts), with what bounds each figure.
 */
import type { Dialect } from './catalog.js';
import {
  efficiencyCheck,
  pairEfficiency as efficiency,
  type EfficiencyCheck,
  type PacedControl,
} from './efficiency-check.js';
import { busy, n, us } from './figures.js';
import type { OrdersLiveResults } from './orders-live.js';
import type { OrdersResults } from './orders.js';

export type DialectOrders = OrdersResults & { readonly dialect: Dialect };

export type OrdersCheck = EfficiencyCheck;

const pacedFigures = (p: PacedControl) =>
  `ceiling ${us(p.ceiling)} (${n(p.ceiling.requestsPerSecond)} req/s, wrk ${busy(p.ceiling)}), tandem ${us(p.tandem)} (${n(p.tandem.requestsPerSecond)} req/s, wrk ${busy(p.tandem)}), efficiency ${n(efficiency(p), 2)}`;
const mib = (bytes: number) => `${n(bytes / 2 ** 20)} MiB`;
const dialectName = (d: Dialect) => (d === 'postgresql' ? 'PostgreSQL' : 'SQLite');
const sizeOf = (o: OrdersResults) =>
  `${n(o.size.orders)} orders / ${n(o.size.users)} users, ${n(o.size.tokens)} users' tokens`;

export function ordersChecks(
  orders: readonly DialectOrders[],
  live: OrdersLiveResults | undefined,
): OrdersCheck[] {
  const checks: OrdersCheck[] = [];
  for (const o of orders) {
    checks.push(
      efficiencyCheck(
        `${o.dialect}: my order (record GET) efficiency ≥ 0.85 (${sizeOf(o)})`,
        o.record,
        0.85,
        o.pacedRecord,
      ),
      efficiencyCheck(
        `${o.dialect}: my orders (${o.size.listItems}-item list) efficiency ≥ 0.7`,
        o.list,
        0.7,
        o.pacedList,
      ),
    );
  }
  const first = live?.runs[0];
  const last = live?.runs.at(-1);
  if (live && first && last) {
    for (const run of live.runs)
      checks.push({
        target: `postgresql: live orders, ${n(run.subscribers)} subscribers: every change reaches its owner, none anyone else`,
        measured: `${n(run.delivered)} of ${n(run.committed)} delivered, ${n(run.superseded)} superseded, ${n(run.missing)} missing, ${n(run.misdelivered)} to others, ${n(run.duplicates)} twice`,
        met: run.missing === 0 && run.misdelivered === 0 && run.duplicates === 0 && run.committed > 0,
      });
    const planned = live.size.changesPerSecond;
    const slowest = Math.min(...live.runs.map((run) => run.changesPerSecond));
    checks.push(
      {
        // Below the planned rate the writer (or PostgreSQL), not fast, set the load: the figures below are light.
        target: `postgresql: live orders, the writer committed ≥ 95% of ${n(planned)} changes/s in every run`,
        measured: `${n(slowest)}/s at the slowest`,
        met: slowest >= 0.95 * planned,
      },
      {
        target: `postgresql: live orders, commit → frame p99 ≤ 20 ms at ${n(last.subscribers)} subscribers`,
        measured: `${n(last.latency.p99Ms, 1)} ms`,
        met: last.latency.p99Ms <= 20,
      },
      {
        target: `postgresql: fast CPU per delivered change at ${n(last.subscribers)} subscribers ≤ 1.2 × at ${n(first.subscribers)}`,
        measured: `${n(last.fastCpuPerChangeUs, 1)} µs vs ${n(first.fastCpuPerChangeUs, 1)} µs (${n(last.fastCpuPerChangeUs / first.fastCpuPerChangeUs, 2)}×)`,
        met: last.fastCpuPerChangeUs <= 1.2 * first.fastCpuPerChangeUs,
      },
    );
  }
  return checks;
}

export function ordersLines(orders: readonly DialectOrders[], live: OrdersLiveResults | undefined): string[] {
  if (orders.length === 0 && !live) return [];
  const lines = ['## Per-user orders (row access, issue 14)', ''];
  if (orders.length > 0) {
    lines.push(
      "Each request pairs a user's token with a path that is that user's (`wrk-pairs.lua`, pre-formatted like the",
      "others): `GET /v1/orders/{id}` of one of the user's orders, and the user's first page of `GET /v1/orders`.",
      "The ceiling answers the bytes Tandem served for the pool's first user. Bound: the fast service on core 0",
      "(its CPU per request is the figure; efficiency = ceiling CPU/request ÷ tandem's), unless wrk is marked bound.",
      '',
      '| database | size | request | ceiling CPU/req | tandem CPU/req | efficiency | tandem req/s | p99 | wrk busy |',
      '|---|---|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const o of orders)
      for (const [label, pair] of [
        ['my order (record GET)', o.record],
        [`my orders (${o.size.listItems}-item list)`, o.list],
      ] as const)
        lines.push(
          `| ${dialectName(o.dialect)} | ${sizeOf(o)} | ${label} | ${us(pair.ceiling)} | ${us(pair.tandem)} | ${n(efficiency(pair), 2)} | ${n(pair.tandem.requestsPerSecond)} | ${n(pair.tandem.p99Ms, 2)} ms | ${busy(pair.tandem)} |`,
        );
    lines.push('');
    for (const o of orders)
      if (o.pacedRecord && o.pacedList)
        lines.push(
          `${dialectName(o.dialect)} at an equal pace (every connection waiting ${n(o.pacedRecord.pauseMs)} ms after each answer): my order ${pacedFigures(o.pacedRecord)}; my orders ${pacedFigures(o.pacedList)}.`,
          '',
        );
  }
  if (live) {
    const s = live.size;
    lines.push(
      `Live orders on PostgreSQL: ${n(s.orders)} orders over ${n(s.users)} users; one WebSocket per subscribed user, each`,
      `subscribed to \`orders\`; a writer process commits ${n(s.changesPerSecond)} changes/s for ${s.seconds} s, each to one order of a`,
      'subscribed owner (owners in a shuffled cycle), the changes due committed together in one UPDATE once the previous',
      'one has (a commit per change capped the writer near 1/WAL flush). Every frame is checked against the commit it came from: received by',
      "its owner's socket, once, and by no one else; a change the owner missed while receiving a later change of the same",
      'order is counted as superseded (the feed delivers the latest state), any other miss as missing. Frames are awaited',
      "until all have come or none has for 2 s. Commit → frame: the writer's clock after the UPDATE returned to the",
      "client's on receipt (both CLOCK_MONOTONIC). Fast CPU per change: its CPU time over the run ÷ changes delivered.",
      'Bounds: fast on core 0; the client (one Node process, `ws`) on core 1, its busy share shown (near 100% it, not',
      'fast, set the latency); the writer and PostgreSQL unpinned and not counted.',
      '',
      '| subscribers | changes/s committed | delivered | superseded | missing | to others | p50 | p99 | fast CPU/change | client busy | RSS fast / client |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const r of live.runs)
      lines.push(
        `| ${n(r.subscribers)} | ${n(r.changesPerSecond)} | ${n(r.delivered)} / ${n(r.committed)} | ${n(r.superseded)} | ${n(r.missing)} | ${n(r.misdelivered)} | ${n(r.latency.p50Ms, 2)} ms | ${n(r.latency.p99Ms, 2)} ms | ${n(r.fastCpuPerChangeUs, 1)} µs | ${n(r.clientBusyShare * 100)}% | ${mib(r.fastRssBytes)} / ${mib(r.clientRssBytes)} |`,
      );
    lines.push('');
  }
  return lines;
}
