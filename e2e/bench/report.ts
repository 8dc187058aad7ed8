import type { GrantRates } from './auth-grants.js';
import type { Dialect } from './catalog.js';
import type { Percentiles } from './propagation.js';
import type { SnapshotResult } from './snapshot.js';
import type { Measurement } from './throughput.js';

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
}

export interface BenchResults {
  readonly mode: 'quick' | 'full';
  readonly date: string;
  readonly machine: string;
  readonly plan: string;
  readonly dialects: readonly DialectResults[];
  readonly snapshots: readonly (SnapshotResult & { readonly dialect: Dialect })[];
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

const n = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a: number, b: number) => (b > 0 ? `${n(a / b, 2)}×` : '–');
const mib = (bytes: number) => `${n(bytes / 2 ** 20, 1)} MiB`;

export function checkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const d of results.dialects) {
    const row = (name: string) => d.rows.find((r) => r.name === name);
    const tandem = row('tandem');
    const ceiling = row('ceiling');
    const express = row('express');
    const fastify = row('fastify');
    if (tandem && ceiling) {
      const recordRatio = tandem.record.requestsPerSecond / ceiling.record.requestsPerSecond;
      const listRatio = tandem.list.requestsPerSecond / ceiling.list.requestsPerSecond;
      checks.push({
        target: `${d.dialect}: record GET ≥ 0.85 × ceiling`,
        measured: `${n(recordRatio, 2)}×`,
        met: recordRatio >= 0.85,
      });
      checks.push({
        target: `${d.dialect}: 100-item list ≥ 0.7 × ceiling`,
        measured: `${n(listRatio, 2)}×`,
        met: listRatio >= 0.7,
      });
      const p99 = tandem.record.p99Ms / ceiling.record.p99Ms;
      checks.push({
        target: `${d.dialect}: p99 ≤ 2 × ceiling p99`,
        measured: `${n(tandem.record.p99Ms, 2)} ms vs ${n(ceiling.record.p99Ms, 2)} ms (${n(p99, 2)}×)`,
        met: p99 <= 2,
      });
    }
    if (tandem && express) {
      const r = tandem.record.requestsPerSecond / express.record.requestsPerSecond;
      checks.push({
        target: `${d.dialect}: tandem ≥ 20 × express (record)`,
        measured: `${n(r, 1)}×`,
        met: r >= 20,
      });
    }
    if (tandem && fastify) {
      const r = tandem.record.requestsPerSecond / fastify.record.requestsPerSecond;
      checks.push({
        target: `${d.dialect}: tandem ≥ 2 × fastify (record)`,
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
      measured: `${n(d.grants.refreshPerSecond)}/s`,
      met: d.grants.refreshPerSecond >= 1500,
    });
    checks.push({
      target: `${d.dialect}: client_credentials ≥ 4,000 tokens/s`,
      measured: `${n(d.grants.clientCredentialsPerSecond)}/s`,
      met: d.grants.clientCredentialsPerSecond >= 4000,
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
  return checks;
}

export function renderMarkdown(results: BenchResults, notes: string): string {
  const lines: string[] = [
    '# Benchmarks',
    '',
    `Latest ${results.mode} run of \`npm run bench${results.mode === 'full' ? ' -- --full' : ''}\`, ${results.date}.`,
    '',
    `**Machine:** ${results.machine}. Server under test pinned to core 0 (\`taskset -c 0\`), wrk to core 1;`,
    `${results.plan}. Every figure is only comparable with the others of the same run: the ratios are the result.`,
    '',
    'Contestants, all serving the same bytes for `GET /v1/products/{id}` (random id per request) and a 100-item list:',
    '**ceiling**: bare uWebSockets.js answering a constant buffer (no auth, no lookup); **tandem**: the real fast service with',
    'real tokens from the auth service (a pool of 1,000); **express**: Express 5 + jose verifying every request + MikroORM',
    'loading the row + `res.json`; **fastify**: Fastify 5 + @fastify/jwt (verified-token cache on) + an in-memory map.',
    '',
  ];
  for (const d of results.dialects) {
    const tandem = d.rows.find((r) => r.name === 'tandem');
    const ceiling = d.rows.find((r) => r.name === 'ceiling');
    lines.push(`## ${d.dialect === 'postgresql' ? 'PostgreSQL' : 'SQLite'}`, '');
    lines.push(
      '| contestant | record req/s | × ceiling | × tandem | p50 | p99 | list req/s | × ceiling | × tandem |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of d.rows) {
      lines.push(
        `| ${r.name} | ${n(r.record.requestsPerSecond)} | ${ratio(r.record.requestsPerSecond, ceiling?.record.requestsPerSecond ?? 0)} | ${ratio(r.record.requestsPerSecond, tandem?.record.requestsPerSecond ?? 0)} | ${n(r.record.p50Ms, 2)} ms | ${n(r.record.p99Ms, 2)} ms | ${n(r.list.requestsPerSecond)} | ${ratio(r.list.requestsPerSecond, ceiling?.list.requestsPerSecond ?? 0)} | ${ratio(r.list.requestsPerSecond, tandem?.list.requestsPerSecond ?? 0)} |`,
      );
    }
    lines.push('');
    if (d.proxy) {
      lines.push(
        `Proxy hop (record GET): tandem direct ${n(d.proxy.direct.requestsPerSecond)} req/s; two replicas behind nginx ${n(d.proxy.proxied.requestsPerSecond)} req/s (${ratio(d.proxy.proxied.requestsPerSecond, d.proxy.direct.requestsPerSecond)}, p99 ${n(d.proxy.proxied.p99Ms, 2)} ms). nginx and both replicas share core 0, so this shows the cost of the hop, not the gain of replicas.`,
        '',
      );
    }
    lines.push(
      `Change propagation (commit → WebSocket frame, ${d.propagation.count} changes): p50 ${n(d.propagation.p50Ms, 2)} ms, p99 ${n(d.propagation.p99Ms, 2)} ms.`,
      '',
      `Auth service (pinned to core 0, wrk with 32 connections on core 1; the database shares both cores): refresh_token ${n(d.grants.refreshPerSecond)} tokens/s (each answer's refresh token spent by a later request), client_credentials ${n(d.grants.clientCredentialsPerSecond)} tokens/s.`,
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
  lines.push('## Targets', '', '| target | measured | met |', '|---|---|---|');
  for (const check of checkTargets(results))
    lines.push(`| ${check.target} | ${check.measured} | ${check.met ? 'yes' : '**no**'} |`);
  lines.push('', notes.trim(), '');
  return lines.join('\n');
}
