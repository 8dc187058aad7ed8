import { authenticateUser, credentialStamp } from '@tandem/accounts';
import { TWO_FACTOR_STEPS, secondFactorPage } from './two-factor-step.js';
import { loginAgain, type SignInStep, type StepContext, type StepOutcome } from './step.js';

/**
 * The sign-in on the authorization page is a chain of steps, each a form post whose hidden `step`
 * field names its handler in SIGN_IN_STEPS. The password step comes first; when the password is
 * right it hands over to `afterPassword`, which decides what comes next. Today that is "signed in";
 * two-factor sign-in (issue 17 item 4) inserts itself there: it returns its own page (outcome
 * `page`, a form with `hiddenFields(form, 'otp')` from pages.ts and a sealed pending sign-in from
 * pending-sign-in.ts) and registers its handler under its step name, which ends in `authenticated`
 * with amr `['pwd', 'otp']`. The route then starts the sign-in (cookie), asks for consent if needed
 * and redirects with the code; nothing else changes.
 */

const BAD_CREDENTIALS = 'Invalid email or password.';

/**
 * After a correct password: the next step for this user. Two-factor sign-in (two-factor-step.ts)
 * returns its page for a user who has (or must enrol) a second factor.
 */
export async function afterPassword(
  context: StepContext,
  userId: number,
  passwordHash: string,
): Promise<StepOutcome> {
  const authentication = { userId, amr: ['pwd'], stamp: credentialStamp(passwordHash) };
  return (await secondFactorPage(context, authentication)) ?? { kind: 'authenticated', authentication };
}

/**
 * The password step, throttled exactly like the password grant (a guess is reserved per address, per
 * account and address, per account, before its password is hashed). Unknown, wrong and inactive
 * accounts get the same page after the same work (authenticateUser hashes a dummy password for an
 * unknown email), so the page does not tell whether an account exists.
 */
export const passwordStep: SignInStep = async (context) => {
  const { deps, form, address } = context;
  const email = form.get('email');
  const password = form.get('password');
  if (email === undefined || password === undefined || email.length > 254 || password.length > 1024)
    return loginAgain(context, 400, 'Enter your email and password.', email?.slice(0, 254));
  const verdict = await deps.throttle.reserve(email, address);
  if (!verdict.allowed) {
    deps.metrics.loginFailures.inc({ reason: 'throttled' });
    const what = verdict.reason === 'sign_ins' ? 'sign-ins to this account' : 'failed sign-in attempts';
    const outcome = loginAgain(context, 429, `Too many ${what}. Try again later.`, email);
    return { ...outcome, headers: { 'Retry-After': String(verdict.retryAfterSeconds) } } as StepOutcome;
  }
  const user = await authenticateUser(deps.orm.em.fork(), email, password);
  // A failure keeps the points it reserved; a success gives them back.
  if (!user) {
    deps.metrics.loginFailures.inc({ reason: 'bad_credentials' });
    return loginAgain(context, 401, BAD_CREDENTIALS, email);
  }
  await deps.throttle.recordSuccess(verdict.reservation);
  return afterPassword(context, user.id, user.passwordHash);
};

/** Step handlers by the form's `step` field (consent is handled by the route, after sign-in). */
export const SIGN_IN_STEPS: ReadonlyMap<string, SignInStep> = new Map([
  ['password', passwordStep],
  ...TWO_FACTOR_STEPS,
]);
