import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cpuSecondsBetween, readCpu, reapedChildrenCpuSeconds } from './cpu-time.js';

const run = promisify(execFile);

/** The Lua script that hands out pre-formatted requests (random ids and tokens); see wrk-request.lua. */
export const WRK_SCRIPT = fileURLToPath(new URL('../../bench/wrk-request.lua', import.meta.url));

/** The script for targets with a requests file: (path, token) pairs that belong together; see wrk-pairs.lua. */
export const WRK_PAIRS_SCRIPT = fileURLToPath(new URL('../../bench/wrk-pairs.lua', import.meta.url));

/** Above this share of its core, wrk (not the server) may be setting the pace: req/s then says nothing. */
export const LOAD_GENERATOR_BOUND = 0.9;

export interface WrkTarget {
  /** e.g. http://127.0.0.1:8002 */
  readonly baseUrl: string;
  /** `record` hits /v1/products/{id}; `list` hits /v1/products?limit=100&after={id}. */
  readonly kind: 'record' | 'list';
  readonly maxId: number;
  /** A file with one bearer token per line, or undefined for no Authorization header. */
  readonly tokensFile: string | undefined;
  /** The server's processes; their CPU time (descendants included) is measured over each run. */
  readonly serverPids: readonly number[];
  /**
   * A file of "<path>\t<token>" lines (wrk-pairs.lua): requests whose path only answers for that token
   * (an owner's orders). When set, kind, maxId and tokensFile are not used.
   */
  readonly requestsFile?: string;
  /**
   * Each connection pauses this many milliseconds after every answer (WRK_PAUSE_MS, wrk's delay()):
   * targets paced alike get about the same request rate, well under wrk's bound. Unset: no pause.
   */
  readonly pauseMs?: number;
}

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  /** Responses completed in the run. */
  readonly requests: number;
}

export interface WrkRun extends WrkResult {
  /** CPU time the server's processes used over the run ÷ responses, in µs. */
  readonly serverCpuPerRequestUs: number;
  /** wrk's own CPU time ÷ its wall time; wrk is pinned to one core, so near 1 means it was the bound. */
  readonly wrkBusyShare: number;
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
  const requests = /^\s+(\d+) requests in /m.exec(output);
  if (!rps || !p50 || !p99 || !requests) throw new Error(`could not parse wrk output:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: toMs(p50[1]!, p50[2]!),
    p99Ms: toMs(p99[1]!, p99[2]!),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    requests: Number(requests[1]),
  };
}

/**
 * wrk's CPU time is read from /proc: a shell pinned with wrk to core 1 runs it, waits for it and
 * prints its own /proc/<pid>/stat, whose cutime + cstime are then exactly wrk's (all threads, start to
 * exit). The wall time is the shell's, measured here: a few milliseconds more than wrk's own.
 */
const WRAPPER = 'wrk "$@"; status=$?; cat /proc/$$/stat; exit $status';

export interface WrkInvocation {
  readonly url: string;
  readonly script: string;
  readonly seconds: number;
  readonly connections: number;
  /** Environment for the Lua script. */
  readonly env: Record<string, string>;
  readonly serverPids: readonly number[];
}

/**
 * One wrk run (one thread) pinned to core 1, with latency percentiles, the server's CPU time per
 * request and wrk's busy share of its core. The server under test is pinned to core 0 by the harness.
 */
export async function runWrkScript(invocation: WrkInvocation): Promise<WrkRun> {
  const wrkArgs = [
    '-t1',
    `-c${invocation.connections}`,
    `-d${invocation.seconds}s`,
    '--latency',
    '-s',
    invocation.script,
    invocation.url,
  ];
  const serverBefore = readCpu(invocation.serverPids);
  const started = performance.now();
  const { stdout } = await run('taskset', ['-c', '1', 'sh', '-c', WRAPPER, 'wrk', ...wrkArgs], {
    env: { ...process.env, ...invocation.env },
    maxBuffer: 1 << 20,
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const serverSeconds = cpuSecondsBetween(serverBefore, readCpu(invocation.serverPids));
  const lines = stdout.trimEnd().split('\n');
  const shellStat = lines.pop() ?? '';
  const result = parseWrkOutput(lines.join('\n'));
  return {
    ...result,
    serverCpuPerRequestUs: result.requests > 0 ? (serverSeconds / result.requests) * 1e6 : Number.NaN,
    wrkBusyShare: reapedChildrenCpuSeconds(shellStat) / wallSeconds,
  };
}

/** A product GET run with wrk-request.lua. Throws when any response was not 2xx: an error page is not a result. */
export async function runWrk(
  target: WrkTarget,
  options: { seconds: number; connections: number },
): Promise<WrkRun> {
  const result = await runWrkScript({
    url: target.baseUrl,
    script: target.requestsFile ? WRK_PAIRS_SCRIPT : WRK_SCRIPT,
    seconds: options.seconds,
    connections: options.connections,
    env: {
      WRK_PAUSE_MS: String(target.pauseMs ?? 0),
      ...(target.requestsFile
        ? { WRK_REQUESTS_FILE: target.requestsFile }
        : {
            WRK_KIND: target.kind,
            WRK_MAX_ID: String(target.maxId),
            WRK_TOKENS_FILE: target.tokensFile ?? '',
          }),
    },
    serverPids: target.serverPids,
  });
  if (result.non2xx > 0) throw new Error(`${target.baseUrl} answered ${result.non2xx} non-2xx responses`);
  return result;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
