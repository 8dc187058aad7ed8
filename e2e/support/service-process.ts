/**
 * Starts one of Tandem's processes the way `tandem start` does: fork the compiled entry point, wait for
 * its `{type:'ready', url}` IPC message. Used by the cross-service tests and the benchmark harness.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { NODE_FLAGS } from '@tandem/config';
import { fileURLToPath } from 'node:url';

const repo = (relative: string) => fileURLToPath(new URL(`../../../${relative}`, import.meta.url));

export const ENTRY_POINTS = {
  admin: repo('services/admin/dist/src/main.js'),
  auth: repo('services/auth/dist/src/main.js'),
  fast: repo('services/fast/dist/src/main.js'),
  tandem: repo('packages/cli/bin/tandem.js'),
} as const;

/** Each service's entry point → the Node.js flags it must be started with (@tandem/config NODE_FLAGS). */
const FLAGS_BY_ENTRY = new Map<string, readonly string[]>(
  Object.entries(NODE_FLAGS).map(([service, flags]) => [
    ENTRY_POINTS[service as keyof typeof NODE_FLAGS],
    flags,
  ]),
);

export interface ServiceProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process printed (shown when a test fails). */
  logs(): string;
  /** SIGTERM (or the given signal), then wait for the exit; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  readonly args?: string[];
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
  /** Run pinned to these CPUs with `taskset` (benchmarks). */
  readonly cpus?: string;
  /** Node's own options (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
  readonly nodeArgs?: readonly string[];
}

export async function startServiceProcess(
  name: string,
  entry: string,
  options: StartOptions = {},
): Promise<ServiceProcess> {
  let output = '';
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  // The flags the service is always started with (as `tandem start` does), then the caller's.
  const nodeArgs = [...(FLAGS_BY_ENTRY.get(entry) ?? []), ...(options.nodeArgs ?? [])];
  const child = fork(entry, options.args ?? [], {
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    ...(nodeArgs.length > 0 && { execArgv: [...process.execArgv, ...nodeArgs] }),
    ...(options.cpus && {
      execPath: 'taskset',
      execArgv: ['-c', options.cpus, process.execPath, ...nodeArgs],
    }),
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    // E2E_READY_TIMEOUT_MS: a busy shared machine (several suites and a benchmark) may need longer.
    const timeoutMs = options.timeoutMs ?? (Number(process.env.E2E_READY_TIMEOUT_MS) || 30_000);
    const timer = setTimeout(
      () => reject(new Error(`${name} did not become ready in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    child.on('message', (message: { type?: string; url?: string }) => {
      if (message.type === 'ready' && message.url) {
        clearTimeout(timer);
        resolve(message.url.replace(/\/+$/, ''));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output}`));
    });
  });
  let url: string;
  try {
    url = await ready;
  } catch (error) {
    // A process that never became ready must not outlive the test that started it.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return {
    name,
    url,
    child,
    logs: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** How much of each process's output a failed run shows: its end, where a crash's stack trace is. */
const OUTPUT_SHOWN = 3_000;

/**
 * `error`, with the end of each process's output and how it stands (exit code, signal, or running)
 * added to its message. A bench run that fails against a server only sees wrk's "connection refused"
 * or a count of non-2xx answers; why the server went or answered so is in its own output.
 */
export function withOutputOf(error: unknown, processes: readonly ServiceProcess[]): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  const outputs = processes.map(({ name, child, logs }) => {
    const exit = child.exitCode ?? child.signalCode;
    const output = logs();
    const shown = output.length > OUTPUT_SHOWN ? `…${output.slice(-OUTPUT_SHOWN)}` : output;
    return `--- ${name} (${exit === null ? 'still running' : `exited: ${exit}`}), its output:\n${shown}`;
  });
  failure.message += `\n${outputs.join('\n')}`;
  return failure;
}
