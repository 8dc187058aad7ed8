/**
 * Two-factor sign-in on the auth service's authorization page in Chromium, with panva's openid-client
 * as the app and TWO_FACTOR_REQUIRED_FOR_STAFF on: a staff member enrols after the password (QR code
 * and key, first code, recovery codes once), then signs in again with a code; the library accepts the
 * ID token, whose amr says `otp`. Auth runs compiled as a child process.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { User } from '@tandem/models';
import {
  createMigratedDatabase,
  sqlitePassOnly,
  testDialect,
  type MigratedTestDatabase,
} from '@tandem/models/testing';
import { totpCodeAt } from '@tandem/two-factor';
import { tandem } from '../bench/catalog.js';
import { E2E_SECRET_KEY } from '../support/admin-process.js';
import { browserSkip, launchChromium } from '../support/browser.js';
import { READER_EMAIL, READER_PASSWORD, seedReaderCatalog } from '../support/catalog.js';
import { startOidcApp, type OidcApp, type SignInResult } from '../support/oidc-app.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const skip =
  browserSkip('the two-factor code flow browser tests') ||
  sqlitePassOnly(
    'the pages and the app’s OpenID Connect library are the same on both databases; the database’s part ' +
      '(codes used once, enrolment, throttled guesses) is tested over HTTP on both by ' +
      'services/auth/test/two-factor-sign-in.test.ts',
  );
const STEP_MS = 30_000;

describe(`two-factor sign-in on the authorization page in Chromium (${testDialect()})`, { skip }, () => {
  let db: MigratedTestDatabase;
  let auth: ServiceProcess;
  let app: OidcApp;
  let context: BrowserContext;
  let secret = '';
  const problems: string[] = [];
  const targets = { authUrl: '', fastUrl: '' };

  before(async () => {
    db = await createMigratedDatabase();
    await seedReaderCatalog(db, 1);
    await db.orm.em.fork().nativeUpdate(User, { email: READER_EMAIL }, { isStaff: true });
    app = await startOidcApp(targets);
    const created = await tandem(
      [
        'createclient',
        'staff app',
        '--scope',
        'catalog:read',
        '--redirect-uri',
        app.redirectUri,
        '--origin',
        app.origin,
        '--first-party',
      ],
      { DATABASE_URL: db.url, TANDEM_SECRET_KEY: E2E_SECRET_KEY },
    );
    app.register('staff', {
      clientId: /client_id:\s+(\S+)/.exec(created)![1]!,
      clientSecret: /client_secret:\s+(\S+)/.exec(created)?.[1],
    });
    auth = await startServiceProcess('auth', ENTRY_POINTS.auth, {
      env: {
        DATABASE_URL: db.url,
        HOST: '127.0.0.1',
        AUTH_PORT: '0',
        TANDEM_SECRET_KEY: E2E_SECRET_KEY,
        TWO_FACTOR_REQUIRED_FOR_STAFF: 'true',
      },
    });
    targets.authUrl = auth.url;
    targets.fastUrl = auth.url;
    ({ context } = await launchChromium());
  });
  after(async () => {
    await context?.close();
    await auth?.stop();
    await app?.close();
    await db?.close();
  });

  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (
        /Content.Security.Policy|Refused to/i.test(message.text()) &&
        new URL(page.url()).origin === auth.url
      )
        problems.push(message.text());
    });
    return page;
  };
  const result = async (page: Page): Promise<SignInResult> =>
    JSON.parse((await page.locator('#result').textContent()) ?? '{}') as SignInResult;
  const password = async (page: Page) => {
    await page.getByLabel('Email').fill(READER_EMAIL);
    await page.getByLabel('Password').fill(READER_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  test('a staff member enrols after the password; the ID token says amr pwd otp', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${app.origin}/login?client=staff`);
    await password(page);
    await page.getByRole('heading', { name: 'Set up two-factor sign-in' }).waitFor();
    assert.equal(await page.locator('svg[aria-label^="QR code"]').count(), 1);
    secret = (await page.locator('#totp-secret').textContent()) ?? '';
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await page.getByLabel('Code from the app').fill(totpCodeAt(secret));
    await page.getByRole('button', { name: 'Turn on and continue' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    assert.equal(await page.locator('#recovery-codes li').count(), 10);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('#result').waitFor();
    const signedIn = await result(page);
    assert.equal(signedIn.error, undefined, signedIn.error);
    assert.deepEqual(signedIn.claims!.amr, ['pwd', 'otp']);
    await page.close();
  });

  test('signing in again asks for a code: a wrong one is refused on the page, the next one signs in', async () => {
    const page = watch(await context.newPage());
    await page.goto(`${app.origin}/login?client=staff&prompt=login`);
    await password(page);
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    await page.getByLabel('Code').fill(totpCodeAt(secret, Date.now() + 10 * STEP_MS));
    await page.getByRole('button', { name: 'Verify' }).click();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /not right/);
    assert.equal(new URL(page.url()).origin, auth.url, 'still on the auth service');
    await page.getByLabel('Code').fill(totpCodeAt(secret, Date.now() + STEP_MS));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('#result').waitFor();
    const signedIn = await result(page);
    assert.equal(signedIn.error, undefined, signedIn.error);
    assert.deepEqual(signedIn.claims!.amr, ['pwd', 'otp']);
    assert.deepEqual(problems, []);
    assert.ok(!auth.logs().includes(secret), 'the TOTP secret is not logged');
    await page.close();
  });
});
