import type { Request, RequestHandler, Response, Router } from 'express';
import { User } from '@tandem/models';
import { twoFactorRequired } from '@tandem/two-factor';
import { formField, secondFactorSince, stampAfterFactorChange } from './staff-session.js';
import { accountPage, recoveryCodesPage } from './two-factor-pages.js';
import { answerRefusal, type TwoFactorLoginDeps } from './two-factor-login.js';

export const ACCOUNT_TWO_FACTOR_PATH = '/account/two-factor';

/**
 * A staff member's own two-factor settings at /admin/account/two-factor, behind `requireStaff`:
 * turn it on (QR code, first code, recovery codes shown once) or off (only with a current code or a
 * recovery code, and never while TWO_FACTOR_REQUIRED_FOR_STAFF applies to them).
 */
export function twoFactorAccountRoutes(
  router: Router,
  deps: TwoFactorLoginDeps,
  requireStaff: RequestHandler,
): void {
  const { admin, orm, config, logger } = deps;
  const root = admin.options.rootPath;
  const path = `${root}${ACCOUNT_TWO_FACTOR_PATH}`;

  /**
   * After the second factor changed: this session takes the new stamp and stays logged in, while the
   * user's other sessions end at their next request (staffMember), as after a password change. If the
   * password changed while this request was under way, this session ends as well: false.
   */
  const keepThisSession = async (req: Request, id: number, factorBefore: Date | null): Promise<boolean> => {
    const stamp = await stampAfterFactorChange(orm.em.fork(), req, id, factorBefore);
    if (stamp !== null) {
      req.session.credentialStamp = stamp;
      return true;
    }
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    return false;
  };

  /**
   * The enrolment attempt of this page: the admin session showing it (its id changes at every login),
   * so a secret shown to another session of the user is never the one this session confirms.
   */
  const attemptOf = (req: Request) => `admin-session:${req.sessionID}`;

  /** The logged-in staff member as a two-factor user, with whether the policy binds them. */
  const current = async (req: Request) => {
    const id = Number(req.session.adminUser?.id);
    const em = orm.em.fork();
    const user = await em.findOneOrFail(User, id);
    return {
      user: { id, email: user.email },
      required: twoFactorRequired(config.twoFactor, user),
      factorSince: await secondFactorSince(em, id),
    };
  };

  const render = async (req: Request, res: Response, status: number, error?: string) => {
    const twoFactor = deps.twoFactor;
    const { user, required } = await current(req);
    if (!twoFactor) {
      res.status(503).set('Cache-Control', 'no-store');
      res.send(
        accountPage({
          email: user.email,
          status: { enrolled: false, recoveryCodesLeft: 0 },
          enrolment: null,
          enrolAction: `${path}/enrol`,
          disableAction: `${path}/disable`,
          required,
          backHref: root,
          error: 'Two-factor sign-in is not available: TANDEM_SECRET_KEY is not set on the server.',
        }),
      );
      return;
    }
    const status_ = await twoFactor.status(user.id);
    const enrolment = status_.enrolled ? null : await twoFactor.beginEnrolment(user, attemptOf(req));
    res.status(status).set('Cache-Control', 'no-store');
    res.send(
      accountPage({
        email: user.email,
        status: status_,
        enrolment,
        enrolAction: `${path}/enrol`,
        disableAction: `${path}/disable`,
        required,
        backHref: root,
        ...(error === undefined ? {} : { error }),
      }),
    );
  };

  router.get(ACCOUNT_TWO_FACTOR_PATH, requireStaff, async (req, res, next) => {
    try {
      await render(req, res, 200);
    } catch (error) {
      next(error);
    }
  });

  router.post(`${ACCOUNT_TWO_FACTOR_PATH}/enrol`, requireStaff, async (req, res, next) => {
    try {
      if (!deps.twoFactor) return await render(req, res, 503);
      const { user, factorSince } = await current(req);
      const verdict = await deps.twoFactor.confirmEnrolment(
        user,
        attemptOf(req),
        formField(req, 'code'),
        deps.clientAddress(req),
      );
      if (!verdict.ok) {
        logger.info({ userId: user.id, reason: verdict.reason }, 'admin two-factor enrolment code refused');
        const { status, message } = answerRefusal(res, verdict);
        return await render(req, res, status, message);
      }
      logger.info({ userId: user.id }, 'admin two-factor enrolled');
      // The codes are shown even when the session ends: the factor is on, and they are its only copy.
      await keepThisSession(req, user.id, factorSince);
      res
        .set('Cache-Control', 'no-store')
        .send(recoveryCodesPage({ codes: verdict.recoveryCodes, continueHref: root }));
    } catch (error) {
      next(error);
    }
  });

  router.post(`${ACCOUNT_TWO_FACTOR_PATH}/disable`, requireStaff, async (req, res, next) => {
    try {
      if (!deps.twoFactor) return await render(req, res, 503);
      const { user, required, factorSince } = await current(req);
      if (required) return await render(req, res, 403, 'Two-factor sign-in is required for staff here.');
      const verdict = await deps.twoFactor.disable(user, formField(req, 'code'), deps.clientAddress(req));
      if (!verdict.ok) {
        logger.info({ userId: user.id, reason: verdict.reason }, 'admin two-factor disable refused');
        const { status, message } = answerRefusal(res, verdict);
        return await render(req, res, status, message);
      }
      logger.info({ userId: user.id }, 'admin two-factor turned off');
      const kept = await keepThisSession(req, user.id, factorSince);
      res.redirect(303, kept ? path : admin.options.loginPath);
    } catch (error) {
      next(error);
    }
  });
}
