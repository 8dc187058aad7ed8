import { ConfigError, loadConfig } from '@tandem/config';
import { describeError } from '@tandem/log';
import { commands } from './commands/index.js';
import { CommandError, UsageError, type CommandContext } from './command.js';

function helpText(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'Usage: tandem <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    "Run `tandem help <command>` for a command's options.",
    '',
  ].join('\n');
}

/** Runs one command and returns the exit code; never throws for user errors. */
export async function main(
  argv: string[],
  io: Partial<Omit<CommandContext, 'config'>> = {},
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = commands.find((command) => command.name === rest[0]);
    stdout.write(topic ? `Usage: tandem ${topic.usage}\n\n${topic.summary}\n` : helpText());
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    stderr.write(`tandem: unknown command "${name}"\n\n${helpText()}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      stderr.write(`tandem: configuration error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  try {
    return await command.run(rest, { config, env, stdin: io.stdin ?? process.stdin, stdout, stderr });
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      stderr.write(`tandem ${command.name}: ${(error as Error).message}\nUsage: tandem ${command.usage}\n`);
      return 2;
    }
    if (error instanceof CommandError) {
      stderr.write(`tandem ${command.name}: ${error.message}\n`);
      return 1;
    }
    // Anything else (database unreachable, a constraint the checks above missed) is still reported as
    // one line without a stack trace; the error's name tells what kind of failure it was. A failed
    // query's message holds its SQL with every value (a password hash): the logs' cleaning applies.
    stderr.write(`tandem ${command.name}: failed: ${describeError(error)}\n`);
    return 1;
  }
}
