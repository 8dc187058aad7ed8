/**
 * The authorization code flow in Chromium with a real OpenID Connect client library (panva's
 * openid-client) as the app: a person signs in on the auth service's login page, consents, the app's
 * library checks every answer (state, iss, PKCE, ID token signature and claims, userinfo), and the app's
 * page then reads the fast service from its own origin with the access token (CORS). Also the ways it
 * must fail: a wrong PKCE verifier, a reused code, an unregistered redirect URI, a forged login post
 * from another origin. Auth and fast run compiled as child processes on one database.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import {
  createMigratedDatabase,
  sqlitePassOnly,
  testDialect,
  type MigratedTestDatabase,
} from '@tandem/models/testing';
import * as oidc from 'openid-client';
import { tandem } from '../bench/catalog.js';
import { E2E_SECRET_KEY } from '../support/admin-process.js';
import { browserSkip, launchChromium } from '../support/browser.js';
import { READER_EMAIL, READER_PASSWORD, seedReaderCatalog } from '../support/catalog.js';
import { startOidcApp, type OidcApp, type SignInResult } from '../support/oidc-app.js';
import type { ServiceProcess } from '../support/service-process.js';
import { refreshStatus, startTokenServices } from '../support/token-services.js';

const skip =
  browserSkip('the code flow browser tests') ||
  sqlitePassOnly(
    'the browser drives pages whose queries and rules services/auth/test runs on both databases (authorization-code, code-exchange-*, sign-in-*)',
  );

describe(`authorization code flow + OpenID Connect in Chromium (${testDialect()})`, { skip }, () => {
  let db: MigratedTestDatabase;
  let processes: ServiceProcess[] = [];
  let auth: ServiceProcess;
  let app: OidcApp;
  let context: BrowserContext;
  const targets = { authUrl: '', fastUrl: '' };

  const createApp = async (name: string, flags: string[]) => {
    const created = await tandem(
      [
        'createclient',
        name,
        '--scope',
        'catalog:read',
        '--redirect-uri',
        app.redirectUri,
        '--redirect-uri',
        `${app.origin}/signed-out`,
        '--origin',
        app.origin,
        ...flags,
      ],
      { DATABASE_URL: db.url, TANDEM_SECRET_KEY: E2E_SECRET_KEY },
    );
    const clientId = /client_id:\s+(\S+)/.exec(created)![1]!;
    app.register(name, { clientId, clientSecret: /client_secret:\s+(\S+)/.exec(created)?.[1] });
  };

  before(async () => {
    db = await createMigratedDatabase();
    await seedReaderCatalog(db, 3);
    app = await startOidcApp(targets);
    await createApp('public', ['--public']);
    await createApp('confidential', ['--first-party']);
    ({ auth, processes } = await startTokenServices(db.url));
    targets.authUrl = auth.url;
    targets.fastUrl = processes[1]!.url;
    ({ context } = await launchChromium());
  });
  after(async () => {
    await context?.close();
    for (const service of [...processes].reverse()) await service.stop();
    await app?.close();
    await db?.close();
  });

  const result = async (page: Page): Promise<SignInResult> =>
    JSON.parse((await page.locator('#result').textContent()) ?? '{}') as SignInResult;

  const signIn = async (page: Page, password = READER_PASSWORD) => {
    await page.getByLabel('Email').fill(READER_EMAIL);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  test('public client: login page, consent, then openid-client accepts every answer and the page reads fast (CORS)', async () => {
    const page = await context.newPage();
    await page.goto(`${app.origin}/login?client=public`);
    assert.equal(new URL(page.url()).origin, auth.url, 'on the auth service’s login page');
    assert.equal(await page.title(), 'Sign in · Tandem');
    await signIn(page);
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.locator('#result').waitFor();
    const signedIn = await result(page);
    assert.equal(signedIn.error, undefined, signedIn.error);
    assert.equal(signedIn.claims!.email, READER_EMAIL);
    assert.deepEqual(signedIn.claims!.amr, ['pwd']);
    assert.equal(signedIn.userinfo!.sub, signedIn.claims!.sub);
    assert.equal(signedIn.scope, 'openid email catalog:read');
    // The page (the app's origin) called fast (another origin) with the token: CORS let it read the answer.
    await page.waitForFunction(() => document.getElementById('fast')?.textContent !== 'pending');
    const fast = JSON.parse((await page.locator('#fast').textContent())!) as {
      status: number;
      body: { items: unknown[] };
    };
    assert.equal(fast.status, 200, JSON.stringify(fast));
    assert.equal(fast.body.items.length, 2);

    // Signed in and consented: prompt=none comes straight back with a code, no page shown.
    await page.goto(`${app.origin}/login?client=public&prompt=none`);
    await page.locator('#result').waitFor();
    assert.equal((await result(page)).error, undefined);

    // The library's refresh works; RP-initiated logout ends the sign-in and revokes the tokens.
    const config = await app.configFor('public');
    const refreshed = await oidc.refreshTokenGrant(config, signedIn.refreshToken!);
    assert.ok(refreshed.access_token);
    const logout = oidc.buildEndSessionUrl(config, {
      id_token_hint: signedIn.idToken!,
      post_logout_redirect_uri: `${app.origin}/signed-out`,
      state: 'bye',
    });
    await page.goto(logout.href);
    await page.locator('#signed-out').waitFor();
    assert.equal(await page.locator('#signed-out').textContent(), 'state=bye');
    assert.equal(
      await refreshStatus(auth.url, refreshed.refresh_token!),
      400,
      'tokens of the sign-in revoked',
    );
    // Signed out: prompt=none now says login_required (through the library, as an error).
    await page.goto(`${app.origin}/login?client=public&prompt=none`);
    await page.locator('#result').waitFor();
    assert.match((await result(page)).error ?? '', /login_required/);
    await page.close();
  });

  test('confidential first-party client: no consent page; the library authenticates with its secret', async () => {
    const page = await context.newPage();
    await page.goto(`${app.origin}/login?client=confidential&max_age=600`);
    await signIn(page);
    await page.locator('#result').waitFor();
    const signedIn = await result(page);
    assert.equal(signedIn.error, undefined, signedIn.error);
    assert.equal(typeof signedIn.claims!.auth_time, 'number');
    await page.close();
  });

  test('a wrong PKCE verifier and a reused code are refused (the reuse revokes the first tokens)', async () => {
    const page = await context.newPage();
    await page.goto(`${app.origin}/login?client=confidential&tamper=verifier`);
    if (
      await page
        .getByLabel('Password')
        .isVisible()
        .catch(() => false)
    )
      await signIn(page);
    await page.locator('#result').waitFor();
    assert.match((await result(page)).error ?? '', /invalid_grant/);

    await page.goto(`${app.origin}/login?client=confidential&tamper=reuse`);
    await page.locator('#result').waitFor();
    assert.match(app.reuse.error ?? '', /invalid_grant/);
    assert.equal(await refreshStatus(auth.url, app.reuse.firstRefreshToken!), 400);
    await page.close();
  });

  test('an unregistered redirect URI is never followed: the error shows on the auth service’s page', async () => {
    const page = await context.newPage();
    await page.goto(
      `${app.origin}/login?client=public&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`,
    );
    assert.equal(new URL(page.url()).origin, auth.url);
    await page.getByText('The redirect_uri is not registered for this client.').waitFor();
    await page.close();
  });

  test('a forged login post from another origin (same site) is refused before the password is checked', async () => {
    const page = await context.newPage();
    await page.goto(`${app.origin}/login?client=public&prompt=login`);
    const authorization = new URL(page.url()).search.slice(1);
    await page.goto(`${app.origin}/attack?authorization=${encodeURIComponent(authorization)}`);
    await page.waitForURL(`${auth.url}/oauth/authorize`);
    assert.match(await page.content(), /csrf_failed/);
    await page.close();
  });
});
