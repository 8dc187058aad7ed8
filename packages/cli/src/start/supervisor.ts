import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { RunningService } from './banner.js';
import { DEFAULT_RESTART_POLICY, RestartStreak, type RestartPolicy } from './restart-policy.js';

export interface SupervisedService {
  readonly name: string;
  /** Compiled entry point, forked with an IPC channel. */
  readonly entry: string;
  /** Command-line arguments for the entry point (the relay is `tandem relay`). */
  readonly args?: readonly string[];
  /** Node.js flags it is started with, after --enable-source-maps (@tandem/config NODE_FLAGS). */
  readonly nodeFlags?: readonly string[];
  /** Services (among those supervised) that must report ready before this one is started. */
  readonly startAfter?: readonly string[];
  /**
   * Extra environment computed, at every (re)start, from the URLs of the services that have reported
   * ready (e.g. the token issuer). A restarted service finds its own previous URL there too.
   */
  readonly env?: (readyUrls: ReadonlyMap<string, string>) => NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** How long a service gets to send its ready message after each (re)start. */
  readonly readyTimeoutMs: number;
  /** How long a service gets to exit after SIGTERM before it is killed. */
  readonly stopTimeoutMs: number;
  /** Called once, when every service has reported ready, in the order the services were given. */
  readonly onReady: (services: RunningService[]) => void;
  /** Signals that mean "stop everything and exit 0"; the defaults are what Ctrl-C and `kill` send. */
  readonly stopSignals?: readonly NodeJS.Signals[];
  /** When a service that exited on its own is restarted; `DEFAULT_RESTART_POLICY` by default. */
  readonly restart?: RestartPolicy;
}

/** What a service sends over IPC once it listens (the contract in every service's main.ts). */
interface ReadyMessage {
  type: 'ready';
  service: string;
  url: string;
}

function isReadyMessage(message: unknown): message is ReadyMessage {
  const candidate = message as Partial<ReadyMessage> | null;
  return typeof candidate === 'object' && candidate?.type === 'ready' && typeof candidate.url === 'string';
}

interface Child {
  readonly service: SupervisedService;
  readonly streak: RestartStreak;
  /** The current run's process (the last one while a restart is pending). */
  process?: ChildProcess;
  closed?: Promise<void>;
  /** Set while the current run has reported ready. */
  url?: string;
  readyAt?: number;
  exited: boolean;
  /** Runs so far, so "ready again" is told only after a restart. */
  runs: number;
  readyTimer?: NodeJS.Timeout;
  restartTimer?: NodeJS.Timeout;
}

/**
 * Runs the services as child processes until a stop signal (exit code 0). Each child's output is
 * passed through with its name in front of every line, like foreman/honcho. A service with
 * `startAfter` is started once those services are ready.
 *
 * A service that exits on its own is restarted after a backoff (see `RestartPolicy`) while the others
 * keep running. Everything is stopped, with exit code 1, only when a service fails to start
 * `maxFailedStarts` times in a row, does not report ready within `readyTimeoutMs` of a (re)start, or
 * cannot be spawned at all.
 */
export function superviseServices(
  services: readonly SupervisedService[],
  options: SupervisorOptions,
): Promise<number> {
  const { stdout, stderr } = options;
  const stopSignals = options.stopSignals ?? ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const nameWidth = Math.max(...services.map((service) => service.name.length));
  const names = new Set(services.map((service) => service.name));
  const policy = options.restart ?? DEFAULT_RESTART_POLICY;

  return new Promise<number>((resolve) => {
    let stopping: { exitCode: number } | undefined;
    let announced = false;
    /** The last URL each service reported, kept while it restarts (its dependents still use it). */
    const readyUrls = new Map<string, string>();
    const children: Child[] = services.map((service) => ({
      service,
      streak: new RestartStreak(policy),
      exited: false,
      runs: 0,
    }));

    const startChild = (child: Child): void => {
      const { service } = child;
      child.runs += 1;
      child.exited = false;
      const spawned = fork(service.entry, [...(service.args ?? [])], {
        env: { ...options.env, ...service.env?.(readyUrls) },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Its own process group: Ctrl-C reaches only this supervisor, which stops the children once,
        // in order, instead of every process receiving SIGINT at the same moment.
        detached: true,
        execArgv: ['--enable-source-maps', ...(service.nodeFlags ?? [])],
      });
      child.process = spawned;
      child.closed = new Promise<void>((done) => spawned.once('close', () => done()));
      const prefix = `${service.name.padEnd(nameWidth)} | `;
      relayLines(spawned.stdout, stdout, prefix);
      relayLines(spawned.stderr, stderr, prefix);
      spawned.on('message', (message) => onMessage(child, message));
      spawned.on('error', (error) => fail(`${service.name} could not be started: ${error.message}.`));
      spawned.on('exit', (code, signal) => {
        child.exited = true;
        clearTimeout(child.readyTimer);
        const readyForMs = child.readyAt === undefined ? undefined : Date.now() - child.readyAt;
        child.url = child.readyAt = undefined;
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        if (stopping) {
          if (code !== 0 && signal !== 'SIGTERM')
            stderr.write(`tandem start: ${service.name} stopped with ${how}.\n`);
          return;
        }
        const decision = child.streak.onUnexpectedExit(readyForMs);
        if (decision.kind === 'give up') {
          fail(
            `${service.name} exited unexpectedly (${how}) before reporting ready, ` +
              `${decision.failedStarts} times in a row; giving up on it.`,
          );
          return;
        }
        stderr.write(
          `tandem start: ${service.name} exited unexpectedly (${how}); ` +
            `restarting it in ${decision.delayMs / 1000} s (attempt ${decision.attempt}).\n`,
        );
        child.restartTimer = setTimeout(() => {
          if (!stopping) startChild(child);
        }, decision.delayMs);
      });
      child.readyTimer = setTimeout(
        () =>
          fail(`${service.name} did not report ready within ${Math.round(options.readyTimeoutMs / 1000)} s.`),
        options.readyTimeoutMs,
      );
    };

    /** Starts every service whose prerequisites are ready and that is not started yet. */
    const startDue = (): void => {
      for (const child of children) {
        const waitsFor = (child.service.startAfter ?? []).filter((name) => names.has(name));
        if (!child.process && !stopping && waitsFor.every((name) => readyUrls.has(name))) startChild(child);
      }
    };

    const onMessage = (child: Child, message: unknown): void => {
      if (!isReadyMessage(message) || child.url !== undefined || child.exited || stopping) return;
      clearTimeout(child.readyTimer);
      child.url = message.url.replace(/\/+$/, '');
      child.readyAt = Date.now();
      readyUrls.set(child.service.name, child.url);
      if (child.runs > 1)
        stdout.write(`tandem start: ${child.service.name} is ready again at ${child.url}\n`);
      if (announced) return;
      if (children.every((candidate) => candidate.url !== undefined)) {
        announced = true;
        options.onReady(children.map((ready) => ({ name: ready.service.name, url: ready.url! })));
      } else startDue();
    };

    function fail(message: string): void {
      if (stopping) return;
      stderr.write(`tandem start: ${message} Stopping the other services.\n`);
      void stopAll(1);
    }

    async function stopAll(exitCode: number): Promise<void> {
      if (stopping) return;
      stopping = { exitCode };
      for (const child of children) {
        clearTimeout(child.readyTimer);
        clearTimeout(child.restartTimer);
      }
      for (const child of children) if (child.process && !child.exited) child.process.kill('SIGTERM');
      const killTimer = setTimeout(() => {
        for (const child of children.filter((candidate) => candidate.process && !candidate.exited)) {
          stderr.write(
            `tandem start: ${child.service.name} did not stop within ${options.stopTimeoutMs / 1000} s; killing it.\n`,
          );
          child.process!.kill('SIGKILL');
        }
      }, options.stopTimeoutMs);
      await Promise.all(children.map((child) => child.closed));
      clearTimeout(killTimer);
      for (const signal of stopSignals) process.off(signal, onSignal);
      process.off('exit', killLeftovers);
      resolve(stopping.exitCode);
    }

    function onSignal(signal: NodeJS.Signals): void {
      if (stopping) {
        // A second Ctrl-C while waiting: do not wait any longer.
        for (const child of children) if (child.process && !child.exited) child.process.kill('SIGKILL');
        return;
      }
      stdout.write(
        `\nReceived ${signal}; stopping ${children
          .filter((child) => child.process)
          .map((child) => child.service.name)
          .join(', ')}...\n`,
      );
      void stopAll(0);
    }
    for (const signal of stopSignals) process.on(signal, onSignal);
    // The children live in their own process group, so they would outlive a supervisor that crashed.
    const killLeftovers = () => {
      for (const child of children) if (child.process && !child.exited) child.process.kill('SIGKILL');
    };
    process.on('exit', killLeftovers);

    startDue();
  });
}

function relayLines(source: Readable | null, destination: Writable, prefix: string): void {
  if (!source) return;
  createInterface({ input: source, crlfDelay: Infinity }).on('line', (line) =>
    destination.write(`${prefix}${line}\n`),
  );
}
