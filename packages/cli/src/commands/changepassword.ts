import { passwordProblem } from '@tandem/accounts';
import { CommandError, type Command } from '../command.js';
import { withUserArgument } from '../email-argument.js';
import { setPassword } from '../accounts.js';
import { Prompter } from '../prompt.js';

/** Django gives a person three tries to type matching, acceptable passwords. */
const MAX_TRIES = 3;

/** Django's changepassword: asks twice for the new password (hidden on a terminal, lines from a pipe). */
export const changepasswordCommand: Command = {
  name: 'changepassword',
  summary: "Change a user's password (asks twice).",
  usage: 'changepassword EMAIL',
  async run(argv, { config, stdin, stdout, stderr }) {
    return withUserArgument(argv, config, async (em, user) => {
      const prompter = new Prompter(stdin, stderr);
      try {
        stderr.write(`Changing password for user ${user.email}\n`);
        for (let attempt = 1; ; attempt++) {
          const first = await prompter.askHidden('Password: ');
          const second = await prompter.askHidden('Password (again): ');
          const problem = first !== second ? 'Passwords do not match.' : passwordProblem(first);
          if (!problem) {
            const ended = await setPassword(em, user, first);
            stdout.write(`Password changed successfully for user ${user.email}.\n`);
            if (ended > 0)
              stdout.write(`Ended ${ended} session(s) of ${user.email}: they must log in again.\n`);
            return 0;
          }
          if (!prompter.interactive) throw new CommandError(problem);
          if (attempt >= MAX_TRIES)
            throw new CommandError(
              `${problem} Aborting password change for ${user.email} after ${MAX_TRIES} attempts.`,
            );
          stderr.write(`${problem} Please try again.\n`);
        }
      } finally {
        prompter.close();
      }
    });
  },
};
