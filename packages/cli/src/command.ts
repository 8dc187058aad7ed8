import type { Readable, Writable } from 'node:stream';
import type { Config } from '@tandem/config';

/** What every management command receives; tests pass their own streams and environment. */
export interface CommandContext {
  readonly config: Config;
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** One management command, one file under commands/, like Django's management/commands/. */
export interface Command {
  readonly name: string;
  /** One line for `tandem help`. */
  readonly summary: string;
  /** The usage line, e.g. `createuser EMAIL --password P [--role NAME]...`. */
  readonly usage: string;
  /** Returns the process exit code. */
  run(argv: string[], context: CommandContext): Promise<number>;
}

/** Wrong arguments: main() prints the message and the command's usage, and exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command that failed for a reason the user can fix (exit 1, message without a stack trace). */
export class CommandError extends Error {
  override name = 'CommandError';
}
