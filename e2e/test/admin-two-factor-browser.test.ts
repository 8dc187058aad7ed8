/**
 * Two-factor sign-in on the admin in a real headless Chromium, with TWO_FACTOR_REQUIRED_FOR_STAFF on:
 * the compiled admin runs as a child process (as in production) on a fresh database. A staff member
 * without an authenticator is sent to enrol after the password; the test scans the QR code off the
 * screen (jsQR), enters codes like a person with an authenticator app, and uses a recovery code.
 * Steps build on each other, so they run in order.
 */
/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import jsqr from 'jsqr';
import type { BrowserContext, Page } from 'playwright-core';
import { sqlitePassOnly } from '@tandem/models/testing';
import { totpCodeAt } from '@tandem/two-factor';
import { browserSkip, launchChromium } from '../support/browser.js';
import { STAFF_PASSWORD, startSeededAdmin, type SeededAdmin } from '../support/admin-process.js';

const skip =
  browserSkip('two-factor browser tests') ||
  sqlitePassOnly(
    'the pages, the QR code and the browser’s part are the same on both databases; the database’s part ' +
      '(a code or recovery code used once, throttled guesses, the session) is tested over HTTP on both by ' +
      'services/admin/test/two-factor-login.test.ts',
  );
if (skip) process.stdout.write(`# SKIP admin two-factor browser tests: ${skip}\n`);

const STEP_MS = 30_000;
// jsqr is CommonJS with `exports.default`: under Node's ESM loader that is the default import's `default`.
const jsQR = jsqr.default;

describe('admin two-factor sign-in in a browser', { skip }, () => {
  let admin: SeededAdmin;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageProblems: string[] = [];
  let secret = '';
  let recoveryCodes: string[] = [];
  /** The code used at enrolment: its time step is spent. */
  let enrolmentCode = '';

  const goto = (route: string) => page.goto(`${admin.url}${route}`);
  const passwordStep = async (email: string) => {
    await goto('/login');
    await page.fill('input[name="email"]', email);
    await page.fill('input[name="password"]', STAFF_PASSWORD);
    await page.click('form button');
  };
  const enterCode = async (code: string) => {
    await page.fill('input[name="code"]', code);
    await page.click('form button[type="submit"] >> nth=0');
    await page.waitForLoadState('load');
  };
  const logout = async () => {
    await goto('/logout');
    await page.click('form button');
    await page.waitForURL(/\/admin\/login$/);
  };
  /**
   * The browser left the login pages for the admin, and its cookie is a staff session (the account
   * page, behind the staff check, answers 200 rather than a redirect to the login).
   */
  const onDashboard = async () => {
    await page.waitForURL((url) => url.pathname.startsWith('/admin') && !url.pathname.includes('/login'));
    const account = await page.request.get(`${admin.url}/account/two-factor`, { maxRedirects: 0 });
    assert.equal(account.status(), 200);
  };

  /** Decodes the QR code on the page from its pixels, as a phone camera would. */
  const scanQrCode = async (): Promise<string> => {
    const { width, height, pixels } = await page.evaluate(async () => {
      const svg = document.querySelector('svg[aria-label^="QR code"]');
      if (!svg) throw new Error('no QR code on the page');
      const size = 400;
      const image = new Image(size, size);
      image.src = `data:image/svg+xml;base64,${btoa(new XMLSerializer().serializeToString(svg))}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = size;
      canvas.height = size;
      const context2d = canvas.getContext('2d')!;
      context2d.fillStyle = '#fff';
      context2d.fillRect(0, 0, size, size);
      context2d.drawImage(image, 0, 0, size, size);
      return { width: size, height: size, pixels: Array.from(context2d.getImageData(0, 0, size, size).data) };
    });
    const decoded = jsQR(Uint8ClampedArray.from(pixels), width, height);
    assert.ok(decoded, 'the QR code on the page can be scanned');
    return decoded.data;
  };

  const step = (name: string, fn: () => Promise<void>) =>
    it(name, async () => {
      try {
        await fn();
      } catch (error) {
        process.stdout.write(`# admin log:\n${admin.logs().replace(/^/gm, '#   ')}\n`);
        throw error;
      }
    });

  before(async () => {
    admin = await startSeededAdmin({ TWO_FACTOR_REQUIRED_FOR_STAFF: 'true', LOG_LEVEL: 'debug' });
    ({ context, profile } = await launchChromium());
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to (execute|load|apply)/i.test(message.text()))
        pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(String(error)));
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await admin?.stop();
  });

  step('sends a staff member without an authenticator to enrol after the password', async () => {
    await passwordStep('editor@example.com');
    await page.waitForURL(/\/admin\/login\/two-factor\/enrol$/);
    assert.match(await page.locator('h1').innerText(), /Set up two-factor sign-in/);
    // No session yet: the admin itself still sends the browser to the login.
    await goto('');
    await page.waitForURL(/\/admin\/login$/);
    await page.goBack();
    await page.waitForURL(/\/admin\/login\/two-factor\/enrol$/);
  });

  step('the QR code carries the key printed beside it', async () => {
    const uri = new URL(await scanQrCode());
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.match(decodeURIComponent(uri.pathname), /editor@example\.com/);
    secret = uri.searchParams.get('secret') ?? '';
    assert.equal(secret, await page.locator('#totp-secret').innerText());
  });

  step(
    'a wrong first code is refused with a message; the right one shows ten recovery codes once',
    async () => {
      await enterCode(totpCodeAt(secret, Date.now() + 10 * STEP_MS));
      assert.match(await page.locator('[role="alert"]').innerText(), /not right/);
      assert.equal(await page.locator('#code').getAttribute('aria-invalid'), 'true');
      enrolmentCode = totpCodeAt(secret);
      await enterCode(enrolmentCode);
      recoveryCodes = await page.locator('#recovery-codes li').allInnerTexts();
      assert.equal(recoveryCodes.length, 10);
      await page.click('text=Continue to the admin');
      await onDashboard();
      assert.doesNotMatch(page.url(), /login/);
    },
  );

  step('the next login asks for a code: a used one is refused, the next one lets in', async () => {
    await logout();
    await passwordStep('editor@example.com');
    await page.waitForURL(/\/admin\/login\/two-factor$/);
    await enterCode(enrolmentCode);
    assert.match(await page.locator('[role="alert"]').innerText(), /already used/);
    await enterCode(totpCodeAt(secret, Date.now() + STEP_MS));
    await onDashboard();
    assert.doesNotMatch(page.url(), /login/);
  });

  step('a recovery code signs in once', async () => {
    const [recovery] = recoveryCodes;
    assert.ok(recovery);
    await logout();
    await passwordStep('editor@example.com');
    await page.waitForURL(/\/admin\/login\/two-factor$/);
    await enterCode(recovery);
    await onDashboard();
    await logout();
    await passwordStep('editor@example.com');
    await page.waitForURL(/\/admin\/login\/two-factor$/);
    await enterCode(recovery);
    assert.match(await page.locator('[role="alert"]').innerText(), /not right/);
    assert.match(page.url(), /\/admin\/login\/two-factor$/);
  });

  step('the account page says it is on, with the recovery codes left, and cannot be turned off', async () => {
    // The newest time step was spent two steps ago; a second recovery code does not wait for the clock.
    await enterCode(recoveryCodes[1]!);
    await onDashboard();
    await goto('/account/two-factor');
    const text = await page.locator('main').innerText();
    assert.match(text, /is on for editor@example\.com/);
    assert.match(text, /8 unused recovery codes left/);
    assert.match(text, /cannot be turned off/);
  });

  step('the user menu leads to the two-factor page', async () => {
    await goto('/resources/Product');
    await page.click('[data-testid="logged-in"] >> text=editor@example.com');
    await page.click('text=Two-factor sign-in');
    await page.waitForURL(/\/admin\/account\/two-factor$/);
    assert.match(await page.locator('h1').innerText(), /Two-factor sign-in/);
  });

  step('no page broke its Content-Security-Policy, and the log holds no secret or code', async () => {
    assert.deepEqual(pageProblems, []);
    const logs = admin.logs();
    assert.ok(!logs.includes(secret), 'the TOTP secret is not logged');
    for (const code of recoveryCodes) assert.ok(!logs.includes(code), 'no recovery code is logged');
    assert.ok(!logs.includes(enrolmentCode));
  });
});
