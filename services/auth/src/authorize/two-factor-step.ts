import { credentialStamp } from '@tandem/accounts';
import { User } from '@tandem/models';
import {
  OTP_AMR,
  TwoFactor,
  newEnrolmentAttempt,
  twoFactorEnrolled,
  twoFactorRequired,
  type CodeRefusal,
  type TwoFactorUser,
} from '@tandem/two-factor';
import type { Config } from '@tandem/config';
import type { AuthDeps } from '../deps.js';
import { SIGN_IN_REFUSALS, attemptFinished, type Authentication } from './login-sessions.js';
import { loginAgain, type StepContext, type StepOutcome, type StepPage } from './step.js';
import { otpEnrolPage, otpPage, recoveryCodesPage } from './two-factor-pages.js';

/**
 * Two-factor sign-in on the authorization page (issue 17 item 4), plugged into sign-in-steps.ts: after
 * a right password, `secondFactorPage` shows the code form (or, for staff without an authenticator
 * while TWO_FACTOR_REQUIRED_FOR_STAFF is on, the enrolment form), carrying the password step as a
 * sealed pending sign-in; the steps below finish the sign-in with amr `pwd otp`. Codes are checked by
 * @tandem/two-factor: throttled like passwords, each TOTP time step and recovery code accepted once.
 */

/** The auth service's two-factor checker; undefined never happens (auth requires TANDEM_SECRET_KEY). */
export function authTwoFactor(config: Config, orm: AuthDeps['orm'], secretKey: string): TwoFactor {
  return new TwoFactor({
    em: orm.em,
    secretKey,
    issuer: config.twoFactor.issuer,
    throttle: config.loginThrottle,
  });
}

async function userOf(deps: AuthDeps, userId: number): Promise<User | null> {
  const user = await deps.orm.em.fork().findOne(User, userId, { populate: ['passwordHash'] });
  return user?.isActive ? user : null;
}

const page = (status: number, html: string, headers?: Record<string, string>): StepPage =>
  headers ? { kind: 'page', status, html, headers } : { kind: 'page', status, html };

const expired = (context: StepContext) =>
  loginAgain(context, 400, 'Your sign-in took too long. Sign in again.');

/** What to say about a refused code, and with which status (and Retry-After when throttled). */
function refusal(verdict: CodeRefusal): { status: number; error: string; headers?: Record<string, string> } {
  if (verdict.reason === 'throttled')
    return {
      status: 429,
      error: 'Too many wrong codes. Try again later.',
      headers: { 'Retry-After': String(verdict.retryAfterSeconds) },
    };
  if (verdict.reason === 'reused')
    return { status: 401, error: 'That code was already used. Wait for the next code in your app.' };
  return {
    status: 401,
    error: 'That code is not right. Enter the current code, or an unused recovery code.',
  };
}

/**
 * After a right password: the code form for a user with an authenticator, the enrolment form for
 * staff who must have one, or undefined (the password is enough). Also the route's answer when
 * startSignIn refused a password-only sign-in because a second factor was confirmed meanwhile.
 */
export async function secondFactorPage(
  context: StepContext,
  authentication: Authentication,
): Promise<StepPage | undefined> {
  const { deps } = context;
  const user = await userOf(deps, authentication.userId);
  if (!user) return undefined;
  const enrolled = await twoFactorEnrolled(deps.orm.em, user.id);
  if (!enrolled && !twoFactorRequired(deps.config.twoFactor, user)) return undefined;
  const attempt = newEnrolmentAttempt();
  // Sealed with the stamp of the password the step checked, not the one stored now: a password
  // changed meanwhile ends the sign-in.
  const pending = deps.pendingSignIns.seal(authentication, context.formContext.csrf, attempt);
  if (enrolled) return page(200, otpPage({ form: context.formContext, pending, email: user.email }));
  // A secret of this sign-in's own: one shown to an earlier sign-in (whoever that was) is replaced.
  const enrolment = await deps.twoFactor.beginEnrolment(user, attempt);
  if (!enrolment) return page(200, otpPage({ form: context.formContext, pending, email: user.email }));
  return page(200, otpEnrolPage({ form: context.formContext, pending, email: user.email, enrolment }));
}

/**
 * The pending sign-in of the form and its user, or undefined when forged, expired, the user is gone,
 * or their password changed since the password step (a reset ends half-done sign-ins and enrolments).
 */
async function pendingOf(context: StepContext) {
  const opened = context.deps.pendingSignIns.open(
    context.form.get('pending') ?? '',
    context.formContext.csrf,
  );
  if (!opened) return undefined;
  const user = await userOf(context.deps, opened.authentication.userId);
  if (!user || credentialStamp(user.passwordHash) !== opened.authentication.stamp) return undefined;
  const twoFactorUser: TwoFactorUser = { id: user.id, email: user.email };
  return { authentication: opened.authentication, user: twoFactorUser, attempt: opened.attempt };
}

const withOtp = (authentication: Authentication): Authentication => ({
  ...authentication,
  amr: [...authentication.amr.filter((method) => method !== OTP_AMR), OTP_AMR],
});

/** Step `otp`: the code (or recovery code) of an enrolled user. */
export async function otpStep(context: StepContext): Promise<StepOutcome> {
  const pending = await pendingOf(context);
  if (!pending) return expired(context);
  // Before the code is checked: a replayed form must not spend a recovery code it cannot use.
  if (await attemptFinished(context.deps, pending.attempt))
    return loginAgain(context, 400, SIGN_IN_REFUSALS.already_finished);
  const verdict = await context.deps.twoFactor.verify(
    pending.user,
    context.form.get('code') ?? '',
    context.address,
  );
  if (verdict.ok) return finished({ ...pending, authentication: withOtp(pending.authentication) });
  context.deps.logger.info({ userId: pending.user.id, reason: verdict.reason }, 'sign-in code refused');
  const { status, error, headers } = refusal(verdict);
  const html = otpPage({
    form: context.formContext,
    pending: context.form.get('pending') ?? '',
    email: pending.user.email,
    error,
  });
  return page(status, html, headers);
}

/** Step `otp-enrol`: the first code of a new authenticator; then the recovery codes, once. */
export async function otpEnrolStep(context: StepContext): Promise<StepOutcome> {
  const pending = await pendingOf(context);
  if (!pending) return expired(context);
  const { twoFactor } = context.deps;
  const verdict = await twoFactor.confirmEnrolment(
    pending.user,
    pending.attempt,
    context.form.get('code') ?? '',
    context.address,
  );
  if (verdict.ok) {
    context.deps.logger.info({ userId: pending.user.id }, 'two-factor enrolled at sign-in');
    const proven = context.deps.pendingSignIns.seal(
      withOtp(pending.authentication),
      context.formContext.csrf,
      pending.attempt,
    );
    return page(
      200,
      recoveryCodesPage({ form: context.formContext, pending: proven, codes: verdict.recoveryCodes }),
    );
  }
  const enrolment = await twoFactor.beginEnrolment(pending.user, pending.attempt);
  if (!enrolment) return expired(context);
  const { status, error, headers } = refusal(verdict);
  const html = otpEnrolPage({
    form: context.formContext,
    pending: context.form.get('pending') ?? '',
    email: pending.user.email,
    enrolment,
    error,
  });
  return page(status, html, headers);
}

/** Step `otp-continue`: after the recovery codes, the sign-in whose second factor was just proven. */
export async function otpContinueStep(context: StepContext): Promise<StepOutcome> {
  const pending = await pendingOf(context);
  if (!pending || !pending.authentication.amr.includes(OTP_AMR)) return expired(context);
  return finished(pending);
}

/** The pending sign-in, finished: its attempt goes along, so it finishes one sign-in only (startSignIn). */
const finished = (pending: { authentication: Authentication; attempt: string }): StepOutcome => ({
  kind: 'authenticated',
  authentication: { ...pending.authentication, attempt: pending.attempt },
});

/** The steps to add to SIGN_IN_STEPS. */
export const TWO_FACTOR_STEPS: ReadonlyArray<
  readonly [string, (context: StepContext) => Promise<StepOutcome>]
> = [
  ['otp', otpStep],
  ['otp-enrol', otpEnrolStep],
  ['otp-continue', otpContinueStep],
];
