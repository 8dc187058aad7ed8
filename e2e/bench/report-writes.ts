/**
 * BENCHMARKS.md's "Writes" section (issue 15): accepted writes/s, applied orders/s, the latency at a
 * steady 1,000 writes/s and the synchronous Express + MikroORM contestant (writes.ts), each with what
 * bounds it, and the targets they are checked against.
 */
import { busy, n } from './figures.js';
import type { WriteLatency, WritesResults } from './writes.js';

export interface WritesCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Both cores at least this busy during the latency run: the latency is a backlog, not the design's. */
const MACHINE_BOUND = 0.9;
const machineBound = (l: WriteLatency) => l.machineBusyShare >= MACHINE_BOUND;
const machine = (l: WriteLatency) =>
  `both cores ${n(l.machineBusyShare * 100)}% busy (${n(l.machineStealShare * 100)}% taken by the host)${machineBound(l) ? ' **machine-bound**' : ''}`;
/** How fast was run: the latency rows depend on it (README, "Sharing cores"). */
const priority = (w: WritesResults) =>
  w.fastNice === undefined
    ? 'fast at the inherited priority (this machine does not let it raise its own: FAST_NICE unset)'
    : `fast at FAST_NICE=${w.fastNice}`;
const statuses = (counts: Readonly<Record<string, number>>) =>
  Object.entries(counts)
    .map(([status, count]) => `${n(count)} × ${status}`)
    .join(', ') || 'none';

export function writesChecks(w: WritesResults | undefined): WritesCheck[] {
  if (!w) return [];
  const accepted = w.accepted.requestsPerSecond;
  const express = w.express.requestsPerSecond;
  const latency = w.latency;
  const created = latency.statuses['201'] ?? 0;
  const sent = Object.values(latency.statuses).reduce((sum, count) => sum + count, 0);
  return [
    {
      target: 'postgresql + Redis: accepted writes (POST → durable 202) ≥ 20,000/s on one core',
      measured: `${n(accepted)}/s (${n(w.accepted.cpuPerRequestUs, 1)} µs fast CPU/request, wrk ${busy(w.accepted)})`,
      met: accepted >= 20_000,
    },
    {
      target: `postgresql: applied orders ≥ 3,000/s (stock decrements on 100 hot products, ${w.size.appliers} appliers)`,
      measured: `${n(w.drain.perSecond)}/s (${n(w.drain.applied)} applied, ${n(w.drain.rejected)} rejected of ${n(w.drain.orders)})`,
      met: w.drain.perSecond >= 3000 && w.drain.applied === w.drain.orders,
    },
    {
      target: `postgresql: the latency run sent ≥ 95% of ${n(latency.plannedPerSecond)} writes/s, every one applied (201), every order's frame received`,
      measured: `${n(latency.achievedPerSecond)}/s; ${statuses(latency.statuses)}; ${n(latency.framesMissing)} frames missing`,
      met:
        latency.achievedPerSecond >= 0.95 * latency.plannedPerSecond &&
        created === sent &&
        latency.framesMissing === 0,
    },
    {
      target: `postgresql: commit → WebSocket frame p99 ≤ 50 ms at ${n(latency.plannedPerSecond)} writes/s`,
      measured: `${n(latency.commitToFrame.p99Ms, 1)} ms (p50 ${n(latency.commitToFrame.p50Ms, 1)} ms); ${priority(w)}${machineBound(latency) ? '; machine-bound' : ''}`,
      met: latency.commitToFrame.p99Ms <= 50,
    },
    {
      target: `postgresql: write → visible in GET p99 ≤ 50 ms at ${n(latency.plannedPerSecond)} writes/s`,
      measured: `${n(latency.writeToVisible.p99Ms, 1)} ms (p50 ${n(latency.writeToVisible.p50Ms, 1)} ms); ${n(latency.getMisses)} of ${n(latency.getChecks)} read-backs not 200; ${priority(w)}${machineBound(latency) ? '; machine-bound' : ''}`,
      met: latency.writeToVisible.p99Ms <= 50 && latency.getMisses === 0,
    },
    {
      target: 'tandem accepts ≥ 10 × the orders/s of Express 5 + MikroORM (a transaction per request)',
      measured: `${n(accepted / express, 1)}× (${n(accepted)}/s vs ${n(express)}/s)`,
      met: accepted >= 10 * express,
    },
    {
      target: 'tandem applies ≥ 2 × the orders/s of Express 5 + MikroORM',
      measured: `${n(w.drain.perSecond / express, 2)}× (${n(w.drain.perSecond)}/s vs ${n(express)}/s)`,
      met: w.drain.perSecond >= 2 * express,
    },
  ];
}

export function writesLines(w: WritesResults | undefined): string[] {
  if (!w) return [];
  const a = w.accepted;
  const e = w.express;
  const d = w.drain;
  const l = w.latency;
  return [
    '## Writes (issue 15)',
    '',
    `PostgreSQL, the Redis queue, 100 hot products, ${n(w.size.writers)} writers (seeded users, one token each).`,
    '**Accepted**: `POST /v1/orders` (one line) → `202` once the write is in the Redis stream; `wrk-writes.lua` formats',
    "every request in `init()`, each a distinct write with its own `Idempotency-Key` and a random writer's token (the pool",
    "holds more writes than a run sends; formatting it counts in wrk's busy share, so that share is an upper bound); the",
    'queue is emptied after each run. **Express + MikroORM** gets the same',
    'requests and answers `201` after its transaction (lock the products, check, decrement stock, insert the order):',
    'its rate is what it accepts and what it applies. Both pinned to core 0, wrk to core 1, interleaved; the per-subject',
    'rate limit is raised for these runs (it would cap 1,000 writers at 50,000/s; the limiter still runs).',
    `**Applied**: ${n(d.orders)} orders queued first, then ${w.size.appliers} \`tandem applier\` processes (unpinned, like PostgreSQL)`,
    'drain them; the rate runs from the first outcome row to the last (`applied_at`, set in the batch before its commit).',
    `**Latency**: a client on core 1 sends ${n(l.plannedPerSecond)} writes/s (open loop, \`Prefer: wait=10\`, kept-alive raw HTTP/1.1 connections) from ${n(w.size.latencyWriters)} writers, each with`,
    `a WebSocket subscribed to \`orders\`; appliers running. In this whole section ${priority(w)}, as README's "Sharing cores"`,
    "recommends where fast shares its cores with the appliers and PostgreSQL (Express keeps the default). Commit → frame: the frame's arrival at the owner minus the",
    "write's `applied_at` (wall clocks of one machine; `applied_at` precedes the commit, so this overstates it). Write →",
    'visible: the POST sent to its `201`, which fast answers once the order is in its store (the bytes GET serves); every',
    "tenth is read back with a GET at once. Both cores' busy share over the run (from /proc/stat, time the host took",
    `included) says whether the pipeline had a core to spare: at ${n(MACHINE_BOUND * 100)}% or more the row is **machine-bound** and its`,
    'latency is a backlog on this machine.',
    '',
    '| figure | rate | CPU per write | p50 | p99 | wrk / client busy | what bounds it |',
    '|---|---:|---:|---:|---:|---:|---|',
    `| accepted (tandem → Redis) | ${n(a.requestsPerSecond)}/s | fast ${n(a.cpuPerRequestUs, 1)} µs, Redis ${n(a.redisCpuPerRequestUs, 1)} µs | ${n(a.p50Ms, 2)} ms | ${n(a.p99Ms, 2)} ms | ${busy(a)} | fast on core 0 (its CPU per request); Redis runs the accept script (one call per event-loop turn of fast) beside it |`,
    `| Express + MikroORM (accepted = applied) | ${n(e.requestsPerSecond)}/s | express ${n(e.cpuPerRequestUs, 1)} µs, PostgreSQL ${n(e.databaseCpuPerRequestUs, 1)} µs | ${n(e.p50Ms, 2)} ms | ${n(e.p99Ms, 2)} ms | ${busy(e)} | express on core 0 (token verification, ORM unit of work) and a transaction with row locks per order |`,
    `| applied (${w.size.appliers} appliers) | ${n(d.perSecond)}/s | appliers ${n(d.applierCpuPerOrderUs, 1)} µs, PostgreSQL ${n(d.databaseCpuPerOrderUs, 1)} µs | – | – | – | appliers and PostgreSQL share both cores; ${n(d.wallSeconds, 1)} s from applier start to the last outcome; fast held every order ${n(d.feedCatchUpSeconds, 1)} s after it |`,
    `| commit → frame at ${n(l.plannedPerSecond)} writes/s | ${n(l.achievedPerSecond)}/s sent | – | ${n(l.commitToFrame.p50Ms, 1)} ms | ${n(l.commitToFrame.p99Ms, 1)} ms | ${n(l.clientBusyShare * 100)}% | ${machine(l)}; the change feed's poll and batch, fast's fan-out |`,
    `| write → visible in GET | – | – | ${n(l.writeToVisible.p50Ms, 1)} ms | ${n(l.writeToVisible.p99Ms, 1)} ms | ${n(l.clientBusyShare * 100)}% | ${machine(l)}; queue → applier batch (a transaction per batch) → commit → feed → store |`,
    '',
  ];
}
