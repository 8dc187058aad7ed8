/**
 * The Node.js flags a service must be started with: one list, read by every launcher (`tandem start`,
 * the e2e and bench harness) and held against the Dockerfile's CMD by e2e/test/infra-manifests.test.ts.
 * The service itself warns at start-up when one is missing (`missingNodeFlags`).
 *
 * fast, `--no-memory-reducer`: V8's memory reducer waits for a drop in the allocation rate (a pause in
 * traffic, or 100 s without a full collection) and then runs up to three full collections in a row to
 * give memory back. Nearly all of fast's heap is live hot data (prepared records and their indexes,
 * ~500 MB at 1,000,000 orders), so they free almost nothing (506 → 496 MB measured) and cost 1.5–2 s of
 * CPU, with pauses of 17–45 ms, on whatever requests arrive meanwhile. Collections the heap needs still
 * run. It has to be a start-up flag: set later (v8.setFlagsFromString) the reducer still ran.
 */
export const NODE_FLAGS = {
  admin: [],
  auth: [],
  fast: ['--no-memory-reducer'],
} as const satisfies Record<string, readonly string[]>;

export type ServiceWithFlags = keyof typeof NODE_FLAGS;

/** The flags of `service` that this process was not started with (`process.execArgv`). */
export function missingNodeFlags(
  service: ServiceWithFlags,
  execArgv: readonly string[] = process.execArgv,
): string[] {
  return NODE_FLAGS[service].filter((flag) => !execArgv.includes(flag));
}
