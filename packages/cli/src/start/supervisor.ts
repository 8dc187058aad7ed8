import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { RunningService } from './banner.js';

export interface SupervisedService {
  readonly name: string;
  /** Compiled entry point, forked with an IPC channel. */
  readonly entry: string;
  /** Command-line arguments for the entry point (the relay is `tandem relay`). */
  readonly args?: readonly string[];
  /** Services (among those supervised) that must report ready before this one is started. */
  readonly startAfter?: readonly string[];
  /** Extra environment computed from the URLs of the services already ready (e.g. the token issuer). */
  readonly env?: (readyUrls: ReadonlyMap<string, string>) => NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** How long every service gets to send its ready message. */
  readonly readyTimeoutMs: number;
  /** How long a service gets to exit after SIGTERM before it is killed. */
  readonly stopTimeoutMs: number;
  /** Called once, when every service has reported ready, in the order the services were given. */
  readonly onReady: (services: RunningService[]) => void;
  /** Signals that mean "stop everything and exit 0"; the defaults are what Ctrl-C and `kill` send. */
  readonly stopSignals?: readonly NodeJS.Signals[];
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
  process?: ChildProcess;
  closed?: Promise<void>;
  url?: string;
  exited: boolean;
}

/**
 * Runs the services as child processes until a stop signal (exit code 0) or until one of them fails
 * to start or dies (the others are stopped; exit code 1). Each child's output is passed through with
 * its name in front of every line, like foreman/honcho. A service with `startAfter` is started once
 * those services are ready.
 */
export function superviseServices(
  services: readonly SupervisedService[],
  options: SupervisorOptions,
): Promise<number> {
  const { stdout, stderr } = options;
  const stopSignals = options.stopSignals ?? ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const nameWidth = Math.max(...services.map((service) => service.name.length));
  const names = new Set(services.map((service) => service.name));

  return new Promise<number>((resolve) => {
    let stopping: { exitCode: number } | undefined;
    let announced = false;
    const readyUrls = new Map<string, string>();
    const children: Child[] = services.map((service) => ({ service, exited: false }));

    const startChild = (child: Child): void => {
      const { service } = child;
      const spawned = fork(service.entry, [...(service.args ?? [])], {
        env: { ...options.env, ...service.env?.(readyUrls) },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Its own process group: Ctrl-C reaches only this supervisor, which stops the children once,
        // in order, instead of every process receiving SIGINT at the same moment.
        detached: true,
        execArgv: ['--enable-source-maps'],
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
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        if (!stopping) fail(`${service.name} exited unexpectedly (${how}).`);
        else if (code !== 0 && signal !== 'SIGTERM')
          stderr.write(`tandem start: ${service.name} stopped with ${how}.\n`);
      });
    };

    /** Starts every service whose prerequisites are ready and that is not started yet. */
    const startDue = (): void => {
      for (const child of children) {
        const waitsFor = (child.service.startAfter ?? []).filter((name) => names.has(name));
        if (!child.process && !stopping && waitsFor.every((name) => readyUrls.has(name))) startChild(child);
      }
    };

    const onMessage = (child: Child, message: unknown): void => {
      if (!isReadyMessage(message) || child.url !== undefined) return;
      child.url = message.url.replace(/\/+$/, '');
      readyUrls.set(child.service.name, child.url);
      if (announced || stopping) return;
      if (children.every((candidate) => candidate.url !== undefined)) {
        announced = true;
        clearTimeout(readyTimer);
        options.onReady(children.map((ready) => ({ name: ready.service.name, url: ready.url! })));
      } else startDue();
    };

    const readyTimer = setTimeout(() => {
      const late = children.filter((child) => child.url === undefined).map((child) => child.service.name);
      fail(`${late.join(', ')} did not report ready within ${Math.round(options.readyTimeoutMs / 1000)} s.`);
    }, options.readyTimeoutMs);

    function fail(message: string): void {
      if (stopping) return;
      stderr.write(`tandem start: ${message} Stopping the other services.\n`);
      void stopAll(1);
    }

    async function stopAll(exitCode: number): Promise<void> {
      if (stopping) return;
      stopping = { exitCode };
      clearTimeout(readyTimer);
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
