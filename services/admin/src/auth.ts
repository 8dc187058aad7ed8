import type AdminJS from 'adminjs';
import type { RequestHandler, Router } from 'express';
import { LoginThrottle, authenticateUser, clientAddressReader, credentialStamp } from '@tandem/accounts';
import type { Config } from '@tandem/config';
import type { Logger } from '@tandem/log';
import type { EntityManager } from '@mikro-orm/core';
import { User, normalizeEmail, type Orm } from '@tandem/models';
import type { PasswordGuesses } from './actions/change-password.js';
import { LOGIN_MESSAGES } from './admin-options.js';
import { formField, staffMember } from './staff-session.js';
import { twoFactorAccountRoutes } from './two-factor-account.js';
import { adminTwoFactor, afterPassword, twoFactorLoginRoutes } from './two-factor-login.js';

export { staffMember } from './staff-session.js';

interface AuthDeps {
  readonly admin: AdminJS;
  readonly orm: Orm;
  readonly config: Config;
  readonly logger: Logger;
  /** The login throttle and client address reader, shared with "Change my password". */
  readonly guesses: PasswordGuesses;
}

/** The login throttle (in Redis when REDIS_URL is set) and who the client is (TRUSTED_PROXIES). */
export function passwordGuesses(config: Config): PasswordGuesses {
  return {
    throttle: new LoginThrottle(config.loginThrottle),
    // The same reader as the auth service: X-Forwarded-For counts only from TRUSTED_PROXIES.
    clientAddress: clientAddressReader(config.trustedProxies),
  };
}

/** What loginRoutes leaves open: the throttles' Redis connections (REDIS_URL), the login one it was given included. */
export interface LoginRoutes {
  close(): Promise<void>;
}

/**
 * The id of the account a typed email names, or null: what a refused login logs instead of the typed
 * text, which may be a password typed into the wrong field.
 */
async function accountNamed(em: EntityManager, email: string): Promise<number | null> {
  // No account's email holds a NUL, and PostgreSQL refuses one in a query (authenticateUser alike).
  if (!email || email.includes('\0')) return null;
  const user = await em.findOne(User, { email }, { fields: ['id'] });
  return user?.id ?? null;
}

/**
 * Staff login and logout (replacing @adminjs/express's, which counts retries per address only and
 * cannot say how long to wait). Only active staff users get in. Each attempt is reserved with the
 * login throttle (per address, per account and address, per account; in Redis when REDIS_URL is set)
 * BEFORE its password is checked, so parallel attempts cannot outrun the limits; a refused attempt is
 * never checked. A right password of an account with (or required to have) a second factor leads to
 * the two-factor step (two-factor-login.ts) instead of a session.
 */
export function loginRoutes(router: Router, deps: AuthDeps): LoginRoutes {
  const { admin, orm, config, logger } = deps;
  const { throttle, clientAddress } = deps.guesses;
  const loginPath = admin.options.loginPath;
  const page = (errorMessage: string | null) => admin.renderLogin({ action: loginPath, errorMessage });
  const twoFactorDeps = { ...deps, clientAddress, twoFactor: adminTwoFactor(orm, config) };
  twoFactorLoginRoutes(router, twoFactorDeps);
  twoFactorAccountRoutes(router, twoFactorDeps, requireStaff(deps));

  router.get('/login', async (_req, res) => {
    res.send(await page(null));
  });

  router.post('/login', async (req, res, next) => {
    try {
      const email = normalizeEmail(formField(req, 'email'));
      const password = formField(req, 'password');
      const address = clientAddress(req);
      const verdict = await throttle.reserve(email, address);
      if (!verdict.allowed) {
        logger.warn({ address, limit: verdict.reason }, 'admin login throttled');
        res.status(429).set('Retry-After', String(verdict.retryAfterSeconds));
        const what = verdict.reason === 'sign_ins' ? 'logins to this account' : 'failed login attempts';
        res.send(await page(`Too many ${what}. Try again in ${verdict.retryAfterSeconds} s.`));
        return;
      }
      const em = orm.em.fork();
      const user = email && password ? await authenticateUser(em, email, password) : null;
      // The stamp of the hash just verified, before anything else loads the user: a later load in
      // this EntityManager refreshes the same entity, with a password changed meanwhile.
      const passwordStamp = user ? credentialStamp(user.passwordHash) : '';
      const member = user ? await staffMember(em, user.id) : null;
      // A failure keeps the points it reserved; a success gives them back.
      if (!user || !member) {
        logger.info({ userId: await accountNamed(em, email), address }, 'admin login refused');
        res.status(401).send(await page('invalidStaffLogin' satisfies keyof typeof LOGIN_MESSAGES));
        return;
      }
      await throttle.recordSuccess(verdict.reservation);
      const destination = await afterPassword(req, twoFactorDeps, user, passwordStamp);
      logger.info(
        { userId: user.id, secondStep: destination !== admin.options.rootPath },
        'admin login password accepted',
      );
      res.redirect(302, destination);
    } catch (error) {
      next(error);
    }
  });

  // Logout ends the session only on a POST (same-origin, see same-origin.ts): a GET can be triggered by
  // any other site (an <img> or a link). A GET gets a page with the logout button instead.
  router.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.redirect(303, loginPath)));
  });
  router.get('/logout', (_req, res) => {
    res
      .type('html')
      .send(
        `<!DOCTYPE html><title>Log out — Tandem admin</title>` +
          `<form method="post" action="${admin.options.logoutPath}"><button type="submit">Log out</button></form>` +
          `<p><a href="${admin.options.rootPath}">Back to the admin</a></p>`,
      );
  });

  return {
    close: async () => {
      await Promise.all([throttle.close(), twoFactorDeps.twoFactor?.close()]);
    },
  };
}

/**
 * Everything after this needs a logged-in staff member. The user is reloaded on every request, so a
 * deactivated account, a revoked permission or a changed password takes effect immediately, not at
 * the next login.
 */
export function requireStaff(deps: AuthDeps): RequestHandler {
  return async (req, res, next) => {
    try {
      const id = Number(req.session.adminUser?.id);
      // The stamp: a session from before a password change ends (one without, from before stamps, too).
      const stamp = req.session.credentialStamp ?? '';
      const member = Number.isSafeInteger(id) ? await staffMember(deps.orm.em.fork(), id, stamp) : null;
      if (member) {
        req.session.adminUser = member;
        next();
        return;
      }
      if (req.session.adminUser) await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
      if (req.path.startsWith('/api/')) {
        res.status(401).json({ error: 'not_authenticated', message: 'Log in as a staff user first.' });
        return;
      }
      res.redirect(302, deps.admin.options.loginPath);
    } catch (error) {
      next(error);
    }
  };
}
