import { LOAD_GENERATOR_BOUND, median, runWrk, type WrkRun, type WrkTarget } from './wrk.js';

export interface RunPlan {
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly runs: number;
  readonly connections: number;
}

export interface Measurement {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Median over the runs of the server's CPU time per request, µs: the primary figure. */
  readonly cpuPerRequestUs: number;
  /** The highest share of its core wrk was busy in any measured run. */
  readonly wrkBusyShare: number;
  /** Some measured run had wrk busy above LOAD_GENERATOR_BOUND: its req/s says nothing about the server. */
  readonly loadGeneratorBound: boolean;
  readonly runs: readonly WrkRun[];
}

/** The medians (and the worst wrk busy share) of measured runs. */
export function summarize(runs: readonly WrkRun[]): Measurement {
  const wrkBusyShare = Math.max(...runs.map((r) => r.wrkBusyShare));
  return {
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    cpuPerRequestUs: median(runs.map((r) => r.serverCpuPerRequestUs)),
    wrkBusyShare,
    loadGeneratorBound: wrkBusyShare > LOAD_GENERATOR_BOUND,
    runs,
  };
}

/**
 * A warm-up run of each target, then `plan.runs` rounds in which each target is measured once, in
 * turn. Other load on the machine drifts over minutes; interleaving spreads it over every target
 * alike instead of landing on whichever was measured at the time.
 */
export async function measureInterleaved(
  targets: readonly WrkTarget[],
  plan: RunPlan,
): Promise<Measurement[]> {
  for (const target of targets)
    await runWrk(target, { seconds: plan.warmupSeconds, connections: plan.connections });
  const runs: WrkRun[][] = targets.map(() => []);
  for (let round = 0; round < plan.runs; round++)
    for (const [i, target] of targets.entries())
      runs[i]!.push(await runWrk(target, { seconds: plan.seconds, connections: plan.connections }));
  return runs.map(summarize);
}

/** Warm-up, then `plan.runs` measured runs of one target. */
export async function measure(target: WrkTarget, plan: RunPlan): Promise<Measurement> {
  const [measurement] = await measureInterleaved([target], plan);
  return measurement!;
}
