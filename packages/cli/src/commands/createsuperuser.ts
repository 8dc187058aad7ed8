import { parseArgs } from 'node:util';
import { passwordProblem } from '@tandem/accounts';
import { normalizeEmail } from '@tandem/models';
import { CommandError, type Command, type CommandContext } from '../command.js';
import { createAccount, emailProblem, findUserByEmail } from '../accounts.js';
import { withOrm } from '../database.js';
import { Prompter } from '../prompt.js';

/** Django's createsuperuser: an active staff superuser, asked for interactively or taken from the environment. */
export const createsuperuserCommand: Command = {
  name: 'createsuperuser',
  summary: 'Create a superuser (asks for email and password, or reads TANDEM_SUPERUSER_* with --no-input).',
  usage: 'createsuperuser [--no-input]',
  async run(argv, context) {
    const { values } = parseArgs({
      args: argv,
      options: {
        'no-input': { type: 'boolean', default: false },
        noinput: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const noInput = values['no-input'] || values.noinput;
    return withOrm(context.config, async (orm) => {
      const em = orm.em.fork();
      const { email, password } = noInput
        ? fromEnvironment(context)
        : await askFor(context, (e) => findUserByEmail(em, e));
      const user = await createAccount(em, { email, password, superuser: true }, 'createsuperuser');
      context.stdout.write(`Superuser ${user.email} created.\n`);
      return 0;
    });
  },
};

function fromEnvironment({ config }: CommandContext): { email: string; password: string } {
  const { email, password } = config.superuser;
  const missing = [
    email === undefined && 'TANDEM_SUPERUSER_EMAIL',
    password === undefined && 'TANDEM_SUPERUSER_PASSWORD',
  ];
  const names = missing.filter((name): name is string => typeof name === 'string');
  if (names.length > 0) throw new CommandError(`--no-input needs ${names.join(' and ')} to be set.`);
  return { email: email!, password: password! };
}

/** Asks like Django: on a terminal a bad answer is asked again; from a pipe it aborts with the reason. */
async function askFor(
  { stdin, stderr }: CommandContext,
  emailTaken: (email: string) => Promise<unknown>,
): Promise<{ email: string; password: string }> {
  const prompter = new Prompter(stdin, stderr);
  try {
    const retry = async <T>(question: () => Promise<T | string>): Promise<T> => {
      for (;;) {
        const answer = await question();
        if (typeof answer !== 'string') return answer;
        if (!prompter.interactive) throw new CommandError(answer);
        stderr.write(`Error: ${answer}\n`);
      }
    };
    const email = await retry(async () => {
      const raw = (await prompter.ask('Email address: ')).trim();
      if (raw === '') return 'This field cannot be blank.';
      const problem = emailProblem(raw);
      if (problem) return problem;
      if (await emailTaken(raw)) return `a user with email ${normalizeEmail(raw)} already exists.`;
      return { value: raw };
    });
    const password = await retry(async () => {
      const first = await prompter.askHidden('Password: ');
      const second = await prompter.askHidden('Password (again): ');
      if (first !== second) return "Your passwords didn't match.";
      if (first === '') return "Blank passwords aren't allowed.";
      const problem = passwordProblem(first);
      if (problem) return problem;
      return { value: first };
    });
    return { email: email.value, password: password.value };
  } finally {
    prompter.close();
  }
}
