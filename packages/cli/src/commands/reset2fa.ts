import { commandActor } from '@tandem/models';
import { resetTwoFactor } from '@tandem/two-factor';
import type { Command } from '../command.js';
import { withUserArgument } from '../email-argument.js';

/**
 * For a staff member locked out of two-factor sign-in (lost phone, no recovery code left): removes
 * their authenticator and recovery codes, so they sign in with the password alone and, where
 * TWO_FACTOR_REQUIRED_FOR_STAFF is on, enrol a new authenticator right after it.
 */
export const reset2faCommand: Command = {
  name: 'reset2fa',
  summary: "Remove a user's two-factor authenticator and recovery codes (a locked-out admin).",
  usage: 'reset2fa EMAIL',
  async run(argv, { config, stdout }) {
    return withUserArgument(argv, config, async (em, user) => {
      if (!(await resetTwoFactor(em, user.id, commandActor('reset2fa'), 'reset_two_factor'))) {
        stdout.write(`${user.email} has no two-factor sign-in; nothing changed.\n`);
        return 0;
      }
      stdout.write(
        `Two-factor sign-in reset for ${user.email}: they sign in with their password` +
          `${config.twoFactor.requiredForStaff ? ' and then set up a new authenticator' : ''}.\n`,
      );
      return 0;
    });
  },
};
