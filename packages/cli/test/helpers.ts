import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../src/main.js';

const bin = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));

export interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/**
 * Runs `tandem <argv>` in this process against the given environment, with stdin fed from `input`
 * lines (as when piped), and returns the exit code and everything written.
 */
export async function tandem(
  argv: string[],
  env: NodeJS.ProcessEnv,
  input: string[] = [],
): Promise<Captured> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = Readable.from(input.map((line) => `${line}\n`));
  const code = await main(argv, { env, stdin, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A `tandem` command running in a child process, started as `tandem start` starts its services. */
export interface ForkedCommand {
  readonly child: ChildProcess;
  /** The first IPC message: what the command reports once it is ready. */
  readonly ready: { type: string; service: string; url?: string };
  stderr(): string;
  /** SIGTERM, then how it exited. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Forks `tandem <command>` with an IPC channel to this process (as `tandem start` does) and waits for
 * its ready message; fails the test if it exits first. `started` sees the child at once, so a caller's
 * `after` hook can kill it even when this fails.
 */
export async function forkUntilReady(
  command: string,
  env: NodeJS.ProcessEnv,
  started: (child: ChildProcess) => void = () => undefined,
): Promise<ForkedCommand> {
  const child = fork(bin, [command], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  started(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const [ready] = (await Promise.race([
    once(child, 'message'),
    exited.then(() => assert.fail(`the ${command} exited before it was ready: ${stderr}`)),
  ])) as [ForkedCommand['ready']];
  return {
    child,
    ready,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      return { code, signal };
    },
  };
}
