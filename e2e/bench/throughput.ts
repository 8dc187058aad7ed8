import { median, runWrk, type WrkResult, type WrkTarget } from './wrk.js';

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
  readonly runs: readonly WrkResult[];
}

/** Warm-up, then `runs` measured wrk runs; the median of each figure. */
export async function measure(target: WrkTarget, plan: RunPlan): Promise<Measurement> {
  await runWrk(target, { seconds: plan.warmupSeconds, connections: plan.connections });
  const runs: WrkResult[] = [];
  for (let i = 0; i < plan.runs; i++)
    runs.push(await runWrk(target, { seconds: plan.seconds, connections: plan.connections }));
  return {
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    runs,
  };
}
