/**
 * What every admin browser suite of issue 16 needs: the seeded admin as a child process, one Chromium
 * page, a login, steps that leave a screenshot and the admin's log behind when they fail, and
 * screenshots kept as test artifacts (e2e/artifacts/, gitignored; E2E_ARTIFACTS overrides).
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, recordPageEvents, reportFailedStep, type PageEvents } from './browser.js';
import { STAFF_PASSWORD, startSeededAdmin, type AdminEnv, type SeededAdmin } from './admin-process.js';

export const ARTIFACTS =
  process.env.E2E_ARTIFACTS ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../artifacts');

export interface AdminBrowser {
  readonly admin: SeededAdmin;
  readonly page: Page;
  readonly context: BrowserContext;
  /** Uncaught page errors and CSP violations seen so far. */
  readonly problems: string[];
  /** Everything the page did lately, printed when a step fails. */
  readonly events: PageEvents;
  goto(route: string): Promise<void>;
  login(email?: string, password?: string): Promise<void>;
  /** A full-page screenshot kept as a test artifact. */
  screenshot(name: string): Promise<string>;
}

/**
 * Registers before/after hooks that start the admin and Chromium (1400×900, the size the issue was
 * measured at) for the enclosing describe, and returns the handle the steps use once they run.
 */
export function adminBrowser(env: AdminEnv = {}): { current(): AdminBrowser } {
  let handle: AdminBrowser | undefined;
  let profile: string | undefined;
  before(async () => {
    const admin = await startSeededAdmin(env);
    const launched = await launchChromium();
    profile = launched.profile;
    const { context } = launched;
    const page = context.pages()[0] ?? (await context.newPage());
    await page.setViewportSize({ width: 1400, height: 900 });
    const problems: string[] = [];
    const events = recordPageEvents(page);
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to (execute|load|apply)/i.test(message.text()))
        problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    const goto = async (route: string) => {
      await page.goto(`${admin.url}${route}`);
    };
    handle = {
      admin,
      page,
      context,
      problems,
      events,
      goto,
      async login(email = 'admin@example.com', password = STAFF_PASSWORD) {
        await goto('/login');
        await page.fill('input[name="email"]', email);
        await page.fill('input[name="password"]', password);
        await page.click('form button');
        await page.waitForURL(/\/admin\/?$/);
      },
      async screenshot(name) {
        mkdirSync(ARTIFACTS, { recursive: true });
        const file = path.join(ARTIFACTS, `${name}.png`);
        await page.screenshot({ path: file, fullPage: true });
        return file;
      },
    };
  });
  after(async () => {
    await handle?.context.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await handle?.admin.stop();
  });
  return {
    current() {
      if (!handle) throw new Error('the admin browser is not started yet');
      return handle;
    },
  };
}

/** A test step that, when it fails, leaves a screenshot, the page's events and the admin's log behind. */
export function browserStep(browser: { current(): AdminBrowser }, name: string, fn: () => Promise<void>) {
  return it(name, async () => {
    try {
      await fn();
    } catch (error) {
      const { page, events, admin } = browser.current();
      await reportFailedStep(page, events, name, { 'admin log': admin.logs() });
      throw error;
    }
  });
}
