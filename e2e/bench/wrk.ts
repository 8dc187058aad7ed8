import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Lua script that picks a random id (and token) per request; see wrk-request.lua. */
export const WRK_SCRIPT = fileURLToPath(new URL('../../bench/wrk-request.lua', import.meta.url));

export interface WrkTarget {
  /** e.g. http://127.0.0.1:8002 */
  readonly baseUrl: string;
  /** `record` hits /v1/products/{id}; `list` hits /v1/products?limit=100&after={id}. */
  readonly kind: 'record' | 'list';
  readonly maxId: number;
  /** A file with one bearer token per line, or undefined for no Authorization header. */
  readonly tokensFile: string | undefined;
}

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly socketErrors: number;
}

export function wrkAvailable(): boolean {
  return existsSync('/usr/bin/wrk');
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  if (unit === 'us') return n / 1000;
  if (unit === 'ms') return n;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60_000;
  throw new Error(`unknown wrk latency unit ${unit}`);
}

export function parseWrkOutput(output: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  if (!rps || !p50 || !p99) throw new Error(`could not parse wrk output:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: toMs(p50[1]!, p50[2]!),
    p99Ms: toMs(p99[1]!, p99[2]!),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/**
 * One wrk run pinned to core 1 (the server under test is pinned to core 0 by the harness), with
 * latency percentiles. Throws when any response was not 2xx: a fast error page is not a result.
 */
export async function runWrk(
  target: WrkTarget,
  options: { seconds: number; connections: number },
): Promise<WrkResult> {
  const args = [
    '-c',
    '1',
    'wrk',
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    '-s',
    WRK_SCRIPT,
    target.baseUrl,
  ];
  const env = {
    ...process.env,
    WRK_KIND: target.kind,
    WRK_MAX_ID: String(target.maxId),
    WRK_TOKENS_FILE: target.tokensFile ?? '',
  };
  const { stdout } = await run('taskset', args, { env, maxBuffer: 1 << 20 });
  const result = parseWrkOutput(stdout);
  if (result.non2xx > 0) throw new Error(`${target.baseUrl} answered ${result.non2xx} non-2xx responses`);
  return result;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
