import type AdminJS from 'adminjs';
import type { Request, RequestHandler, Router } from 'express';
import type { EntityManager } from '@mikro-orm/core';
import { LoginThrottle, authenticateUser, clientAddressReader } from '@tandem/accounts';
import type { Config } from '@tandem/config';
import type { Logger } from '@tandem/log';
import { User, normalizeEmail, type Orm } from '@tandem/models';
import { LOGIN_MESSAGES } from './admin-options.js';
import type { StaffMember } from './permissions.js';

declare module 'express-session' {
  interface SessionData {
    adminUser?: StaffMember;
  }
}

interface AuthDeps {
  readonly admin: AdminJS;
  readonly orm: Orm;
  readonly config: Config;
  readonly logger: Logger;
}

/** The session's view of a user: who they are and their permission codenames (union of their roles). */
export async function staffMember(em: EntityManager, id: number): Promise<StaffMember | null> {
  const user = await em.findOne(User, id, { populate: ['roles'] });
  if (!user || !user.isActive || !user.isStaff) return null;
  const permissions = new Set(user.roles.getItems().flatMap((role) => role.permissions));
  return {
    id: String(user.id),
    email: user.email,
    title: user.email,
    isSuperuser: user.isSuperuser,
    permissions: [...permissions].sort(),
  };
}

function formField(req: Request, name: string): string {
  const fields = (req as Request & { fields?: Record<string, unknown> }).fields ?? {};
  const value = fields[name];
  return typeof value === 'string' ? value : '';
}

/** What loginRoutes leaves open: the login throttle's Redis connection, when REDIS_URL is set. */
export interface LoginRoutes {
  close(): Promise<void>;
}

/**
 * Staff login and logout (replacing @adminjs/express's, which counts retries per address only and
 * cannot say how long to wait). Only active staff users get in. Each attempt is reserved with the
 * login throttle (per address, per account and address, per account; in Redis when REDIS_URL is set)
 * BEFORE its password is checked, so parallel attempts cannot outrun the limits; a refused attempt is
 * never checked.
 */
export function loginRoutes(router: Router, deps: AuthDeps): LoginRoutes {
  const { admin, orm, config, logger } = deps;
  const throttle = new LoginThrottle(config.loginThrottle);
  // The same reader as the auth service: X-Forwarded-For counts only from TRUSTED_PROXIES.
  const clientAddress = clientAddressReader(config.trustedProxies);
  const loginPath = admin.options.loginPath;
  const page = (errorMessage: string | null) => admin.renderLogin({ action: loginPath, errorMessage });

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
        logger.warn({ email, address }, 'admin login throttled');
        res.status(429).set('Retry-After', String(verdict.retryAfterSeconds));
        res.send(await page(`Too many failed login attempts. Try again in ${verdict.retryAfterSeconds} s.`));
        return;
      }
      const em = orm.em.fork();
      const user = email && password ? await authenticateUser(em, email, password) : null;
      const member = user ? await staffMember(em, user.id) : null;
      // A failure keeps the points it reserved; a success gives them back.
      if (!user || !member) {
        logger.info({ email, address }, 'admin login refused');
        res.status(401).send(await page('invalidStaffLogin' satisfies keyof typeof LOGIN_MESSAGES));
        return;
      }
      await throttle.recordSuccess(email, address);
      // A plain UPDATE, not a flush: a flush re-validates the whole entity, and an account stored
      // before a validation rule tightened must still be able to log in (and fix its email).
      await em.nativeUpdate(User, { id: user.id }, { lastLoginAt: new Date() });
      // A new session id on login, so a session id planted before login is worthless after it.
      req.session.regenerate((error) => {
        if (error) return next(error);
        req.session.adminUser = member;
        req.session.save((saveError) =>
          saveError ? next(saveError) : res.redirect(302, admin.options.rootPath),
        );
      });
      logger.info({ userId: user.id }, 'admin login');
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

  return { close: () => throttle.close() };
}

/**
 * Everything after this needs a logged-in staff member. The user is reloaded on every request, so a
 * deactivated account or a revoked permission takes effect immediately, not at the next login.
 */
export function requireStaff(deps: AuthDeps): RequestHandler {
  return async (req, res, next) => {
    try {
      const id = Number(req.session.adminUser?.id);
      const member = Number.isSafeInteger(id) ? await staffMember(deps.orm.em.fork(), id) : null;
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
