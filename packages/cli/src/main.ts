import { ConfigError, loadConfig } from '@tandem/config';
import { describeError } from '@tandem/log';
import { MigrationBuildError } from '@tandem/models';
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

function commandHelp(command: (typeof commands)[number]): string {
  return `Usage: tandem ${command.usage}\n\n${command.summary}\n`;
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
    if (rest[0] === undefined) {
      stdout.write(helpText());
      return 0;
    }
    const topic = commands.find((command) => command.name === rest[0]);
    if (!topic) {
      stderr.write(`tandem: unknown command "${rest[0]}"\n\n${helpText()}`);
      return 2;
    }
    stdout.write(commandHelp(topic));
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    stderr.write(`tandem: unknown command "${name}"\n\n${helpText()}`);
    return 2;
  }
  // `tandem migrate --help`, as Django's manage.py takes it, before any configuration is read.
  if (rest.includes('--help') || rest.includes('-h')) {
    stdout.write(commandHelp(command));
    return 0;
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
    // A refusal that says what to do (build first): the user's to act on, not a failure of the command.
    if (error instanceof CommandError || error instanceof MigrationBuildError) {
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
