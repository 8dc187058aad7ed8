import { Readable, Writable } from 'node:stream';
import { main } from '../src/main.js';

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
