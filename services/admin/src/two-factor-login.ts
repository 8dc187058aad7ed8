import type AdminJS from 'adminjs';
import type { Request, Response, Router } from 'express';
import { credentialStamp, type ClientAddressReader } from '@tandem/accounts';
import type { Config } from '@tandem/config';
import type { Logger } from '@tandem/log';
import { User, type Orm } from '@tandem/models';
import {
  TwoFactor,
  newEnrolmentAttempt,
  twoFactorEnrolled,
  twoFactorRequired,
  type CodeRefusal,
} from '@tandem/two-factor';
import { codePage, loginEnrolmentPage, recoveryCodesPage } from './two-factor-pages.js';
import {
  formField,
  renewSession,
  staffMember,
  startStaffSession,
  type PendingTwoFactor,
} from './staff-session.js';

export interface TwoFactorLoginDeps {
  readonly admin: AdminJS;
  readonly orm: Orm;
  readonly config: Config;
  readonly logger: Logger;
  readonly clientAddress: ClientAddressReader;
  /** Absent without TANDEM_SECRET_KEY: then nobody who has or needs a second factor gets in. */
  readonly twoFactor: TwoFactor | undefined;
}

/** The proof of the logins that finish here: the password step's, then a code. */
const SECOND_FACTOR = { via: 'second_factor' } as const;

/** The password step's result stays good this long while the second step is done. */
const PENDING_LIFETIME_MS = 5 * 60 * 1000;

export const TWO_FACTOR_PATH = '/login/two-factor';
export const TWO_FACTOR_ENROL_PATH = '/login/two-factor/enrol';

/**
 * What to tell a person whose code was refused, and with which status; a throttled refusal also gets
 * its Retry-After header on `res`.
 */
export function answerRefusal(res: Response, refusal: CodeRefusal): { status: number; message: string } {
  if (refusal.reason === 'throttled') res.set('Retry-After', String(refusal.retryAfterSeconds));
  switch (refusal.reason) {
    case 'throttled':
      return {
        status: 429,
        message: `Too many wrong codes. Try again in ${refusal.retryAfterSeconds} s.`,
      };
    case 'reused':
      return {
        status: 401,
        message: 'That code was already used. Wait for the next code in your app and enter it.',
      };
    default:
      return {
        status: 401,
        message:
          'That code is not right. Enter the current 6-digit code from your app, or an unused recovery code.',
      };
  }
}

/** Pages with secrets, recovery codes or a half-done login: never cached, never from history. */
function noStore(res: Response): Response {
  return res.set('Cache-Control', 'no-store');
}

function sendPage(res: Response, status: number, html: string): void {
  noStore(res).status(status).send(html);
}

/** Builds the two-factor service of the admin (its code guesses throttled with the password limits). */
export function adminTwoFactor(orm: Orm, config: Config): TwoFactor | undefined {
  if (config.secretKey === undefined) return undefined;
  return new TwoFactor({
    em: orm.em,
    secretKey: config.secretKey,
    issuer: config.twoFactor.issuer,
    throttle: config.loginThrottle,
  });
}

/**
 * After a right password: either the login is complete (no second factor due), or the session holds
 * only the pending second step and the answer sends the browser to it. Returns where to go next.
 * `passwordStamp`: credentialStamp of the stored hash the password was verified against.
 */
export async function afterPassword(
  req: Request,
  deps: TwoFactorLoginDeps,
  user: User,
  passwordStamp: string,
): Promise<string> {
  const em = deps.orm.em.fork();
  const member = await staffMember(em, user.id);
  if (!member) throw new Error('afterPassword needs a staff member');
  const required = twoFactorRequired(deps.config.twoFactor, user);
  let enrolled = await twoFactorEnrolled(em, user.id);
  const root = deps.admin.options.rootPath;
  if (!required && !enrolled) {
    // Checked again with the user's row held (startStaffSession): a second factor confirmed since
    // the read above sends this login to the code step instead of a password-only session.
    const started = await startStaffSession(req, em, member, passwordStamp, {
      via: 'password',
      twoFactor: deps.config.twoFactor,
    });
    if (started === 'started') return root;
    // The password was changed while it was checked: the login starts again.
    if (started === 'password_changed') return deps.admin.options.loginPath;
    enrolled = started === 'code_due';
  }
  const pending: PendingTwoFactor = {
    userId: user.id,
    email: user.email,
    enrol: !enrolled,
    expiresAt: Date.now() + PENDING_LIFETIME_MS,
    stamp: passwordStamp,
    attempt: newEnrolmentAttempt(),
  };
  await renewSession(req, { twoFactorPending: pending });
  return `${root}${enrolled ? TWO_FACTOR_PATH : TWO_FACTOR_ENROL_PATH}`;
}

/**
 * The second login step: a code (or recovery code) for an enrolled staff member, or the forced
 * enrolment of one who has none while TWO_FACTOR_REQUIRED_FOR_STAFF is on. Only a session that passed
 * the password step in the last five minutes gets these pages; anything else goes back to the login.
 */
export function twoFactorLoginRoutes(router: Router, deps: TwoFactorLoginDeps): void {
  const { admin, orm, logger } = deps;
  const loginPath = admin.options.loginPath;
  const logoutPath = admin.options.logoutPath;
  const root = admin.options.rootPath;

  /** The pending step of this session, if it is of the wanted kind and still fresh. */
  const pendingOf = (req: Request, enrol: boolean): PendingTwoFactor | undefined => {
    const pending = req.session.twoFactorPending;
    if (!pending || pending.enrol !== enrol || pending.expiresAt < Date.now()) return undefined;
    // Stored before logins had an attempt id: the password step is done again.
    if (typeof pending.attempt !== 'string') return undefined;
    return pending;
  };

  /**
   * The pending step, as pendingOf, if the user's password is still the one it checked: a password
   * change or reset ends a half-done login (and the enrolment it started) like the user's sessions.
   */
  const livePendingOf = async (req: Request, enrol: boolean): Promise<PendingTwoFactor | undefined> => {
    const pending = pendingOf(req, enrol);
    if (!pending) return undefined;
    const user = await orm.em.fork().findOne(User, pending.userId, { populate: ['passwordHash'] });
    if (user && credentialStamp(user.passwordHash) === pending.stamp) return pending;
    delete req.session.twoFactorPending;
    return undefined;
  };

  const unavailable = (res: Response) =>
    noStore(res)
      .status(503)
      .type('html')
      .send(
        codePage({
          email: '',
          action: `${root}${TWO_FACTOR_PATH}`,
          logoutPath,
          error: 'Two-factor sign-in is not available: TANDEM_SECRET_KEY is not set on the server.',
        }),
      );

  /** The staff member the pending step is for, still active and staff; else back to the login. */
  /** After a code passed: the staff session, if the account is still staff and its password unchanged. */
  const startedAfterCode = async (req: Request, pending: PendingTwoFactor): Promise<boolean> => {
    const member = await staffMember(orm.em.fork(), pending.userId);
    return (
      member !== null &&
      (await startStaffSession(req, orm.em.fork(), member, pending.stamp, SECOND_FACTOR)) === 'started'
    );
  };

  router.get(TWO_FACTOR_PATH, (req, res) => {
    const pending = pendingOf(req, false);
    if (!pending) return res.redirect(302, loginPath);
    noStore(res).send(codePage({ email: pending.email, action: `${root}${TWO_FACTOR_PATH}`, logoutPath }));
  });

  router.post(TWO_FACTOR_PATH, async (req, res, next) => {
    try {
      const pending = await livePendingOf(req, false);
      if (!pending) return res.redirect(303, loginPath);
      if (!deps.twoFactor) return unavailable(res);
      const address = deps.clientAddress(req);
      const user = { id: pending.userId, email: pending.email };
      const verdict = await deps.twoFactor.verify(user, formField(req, 'code'), address);
      if (!verdict.ok) {
        logger.info({ userId: user.id, address, reason: verdict.reason }, 'admin two-factor code refused');
        const { status, message } = answerRefusal(res, verdict);
        const action = `${root}${TWO_FACTOR_PATH}`;
        return sendPage(res, status, codePage({ email: pending.email, action, logoutPath, error: message }));
      }
      if (!(await startedAfterCode(req, pending))) return res.redirect(303, loginPath);
      logger.info({ userId: user.id, method: verdict.method }, 'admin login (two-factor)');
      res.redirect(303, root);
    } catch (error) {
      next(error);
    }
  });

  router.get(TWO_FACTOR_ENROL_PATH, async (req, res, next) => {
    try {
      const pending = await livePendingOf(req, true);
      if (!pending) return res.redirect(302, loginPath);
      if (!deps.twoFactor) return unavailable(res);
      const user = { id: pending.userId, email: pending.email };
      const enrolment = await deps.twoFactor.beginEnrolment(user, pending.attempt);
      // Enrolled meanwhile (another tab): the code step applies now.
      if (!enrolment) return res.redirect(302, loginPath);
      noStore(res).send(
        loginEnrolmentPage({
          email: pending.email,
          enrolment,
          action: `${root}${TWO_FACTOR_ENROL_PATH}`,
          logoutPath,
        }),
      );
    } catch (error) {
      next(error);
    }
  });

  router.post(TWO_FACTOR_ENROL_PATH, async (req, res, next) => {
    try {
      const pending = await livePendingOf(req, true);
      if (!pending) return res.redirect(303, loginPath);
      if (!deps.twoFactor) return unavailable(res);
      const address = deps.clientAddress(req);
      const user = { id: pending.userId, email: pending.email };
      const verdict = await deps.twoFactor.confirmEnrolment(
        user,
        pending.attempt,
        formField(req, 'code'),
        address,
      );
      if (!verdict.ok) {
        logger.info(
          { userId: user.id, address, reason: verdict.reason },
          'admin two-factor enrolment code refused',
        );
        const enrolment = await deps.twoFactor.beginEnrolment(user, pending.attempt);
        if (!enrolment) return res.redirect(303, loginPath);
        const { status, message } = answerRefusal(res, verdict);
        const action = `${root}${TWO_FACTOR_ENROL_PATH}`;
        const page = loginEnrolmentPage({
          email: pending.email,
          enrolment,
          action,
          logoutPath,
          error: message,
        });
        return sendPage(res, status, page);
      }
      if (!(await startedAfterCode(req, pending))) return res.redirect(303, loginPath);
      logger.info({ userId: user.id }, 'admin two-factor enrolled at login');
      noStore(res).send(recoveryCodesPage({ codes: verdict.recoveryCodes, continueHref: root }));
    } catch (error) {
      next(error);
    }
  });
}
