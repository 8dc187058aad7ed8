import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { CommandError } from './command.js';

type Input = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/**
 * Asks questions the way Django's management commands do: on a terminal, visible input for plain
 * answers and hidden input (no echo) for passwords; otherwise (piped stdin, tests, scripts) one line
 * per answer. Prompts go to stderr so stdout stays clean for output a script may read.
 */
export class Prompter {
  private lines: AsyncIterator<string> | undefined;
  private lineReader: Interface | undefined;

  constructor(
    private readonly input: Input,
    private readonly output: Writable,
  ) {}

  /** True when a person is typing: invalid answers are asked again instead of aborting. */
  get interactive(): boolean {
    return this.input.isTTY === true && typeof this.input.setRawMode === 'function';
  }

  async ask(question: string): Promise<string> {
    this.output.write(question);
    if (!this.interactive) return this.nextLine();
    // A one-shot reader: a reader left attached to a terminal would also swallow the hidden answers.
    const reader = createInterface({ input: this.input, crlfDelay: Infinity, terminal: false });
    return new Promise((resolve, reject) => {
      let answered = false;
      reader.once('line', (line) => {
        answered = true;
        reader.close();
        resolve(line);
      });
      reader.once('close', () => {
        if (!answered) reject(new CommandError('input ended before every question was answered.'));
      });
    });
  }

  async askHidden(question: string): Promise<string> {
    if (!this.interactive) {
      this.output.write(question);
      return this.nextLine();
    }
    return this.readWithoutEcho(question);
  }

  /** Releases stdin so the process can exit. */
  close(): void {
    this.lineReader?.close();
    this.lineReader = undefined;
    this.lines = undefined;
  }

  private async nextLine(): Promise<string> {
    if (!this.lines) {
      this.lineReader = createInterface({ input: this.input, crlfDelay: Infinity, terminal: false });
      this.lines = this.lineReader[Symbol.asyncIterator]();
    }
    const next = await this.lines.next();
    if (next.done) {
      this.output.write('\n');
      throw new CommandError('input ended before every question was answered.');
    }
    return next.value;
  }

  /** Raw-mode reading of one line without echoing it; Ctrl-C and Ctrl-D on an empty line abort. */
  private readWithoutEcho(question: string): Promise<string> {
    const input = this.input;
    return new Promise((resolve, reject) => {
      let answer = '';
      const finish = (error?: Error) => {
        input.off('data', onData);
        input.setRawMode?.(false);
        input.pause();
        this.output.write('\n');
        if (error) reject(error);
        else resolve(answer);
      };
      const onData = (chunk: Buffer | string) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') return finish();
          if (char === '\u0003' || (char === '\u0004' && answer === ''))
            return finish(new CommandError('aborted.'));
          if (char === '\u007f' || char === '\b') answer = answer.slice(0, -1);
          else if (char >= ' ') answer += char;
        }
      };
      // Echo off before the prompt appears, so a fast typist's first characters are not shown either.
      input.setRawMode?.(true);
      this.output.write(question);
      input.on('data', onData);
      input.resume();
    });
  }
}
