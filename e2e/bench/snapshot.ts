import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { compileProjections } from '@tandem/changefeed';
import { hotProjections, openOrm } from '@tandem/models';
import type { DatabaseTarget } from '@tandem/config';
import { ENTRY_POINTS, startServiceProcess } from '../support/service-process.js';

export interface SnapshotResult {
  readonly products: number;
  readonly loadSeconds: number;
  readonly rssBytes: number;
  /** Total size of every prepared record's JSON: what the node must hold at the very least. */
  readonly preparedBytes: number;
}

async function preparedJsonBytes(target: DatabaseTarget): Promise<number> {
  const orm = await openOrm(target);
  try {
    const projections = compileProjections(
      hotProjections,
      (name) => orm.getMetadata().find(name) ?? undefined,
      target.dialect,
    );
    let total = 0;
    for (const projection of projections) {
      const size = target.dialect === 'postgresql' ? 'octet_length(s.json)' : 'length(cast(s.json as blob))';
      const [row] = (await orm.em
        .getConnection()
        .execute(`select sum(${size}) as bytes from (${projection.snapshotSql}) s`)) as {
        bytes: number | string | null;
      }[];
      total += Number(row?.bytes ?? 0);
    }
    return total;
  } finally {
    await orm.close();
  }
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Starts a fast node on a seeded database: time from process start to "snapshot loaded", and its RSS. */
export async function measureSnapshot(
  env: Record<string, string>,
  target: DatabaseTarget,
  products: number,
): Promise<SnapshotResult> {
  const preparedBytes = await preparedJsonBytes(target);
  const started = performance.now();
  const fast = await startServiceProcess('fast', ENTRY_POINTS.fast, {
    cpus: '0',
    timeoutMs: 300_000,
    env: {
      ...env,
      FAST_PORT: '0',
      HOST: '127.0.0.1',
      TOKEN_ISSUER: 'http://127.0.0.1:9',
      NODE_ENV: 'production',
    },
  });
  const loadSeconds = (performance.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rssBytes = rssOf(fast.child.pid!);
  await fast.stop();
  return { products, loadSeconds, rssBytes, preparedBytes };
}
