/**
 * Issue 16 item 8 (and item 6's dashboard links) in Chromium: the live dashboard plots what a real
 * fast service and a real auth service counted (and fast's sampled p99, its write queue's depth and
 * write outcomes) for requests this test makes, a wrong password on auth's sign-in page included;
 * staff without `view_metrics` see no plots and are refused the data; a stopped service is said to be unreachable;
 * the staff member's recent actions link to their records. auth and fast run compiled as child
 * processes on the admin's database; the admin scrapes their /metrics every 5 s.
 */
import assert from 'node:assert/strict';
import { after, describe } from 'node:test';
import { createHash, randomBytes } from 'node:crypto';
import { hashPassword } from '@tandem/accounts';
import { Product, Role, User } from '@tandem/models';
import { tandem } from '../bench/catalog.js';
import { E2E_SECRET_KEY, STAFF_PASSWORD } from '../support/admin-process.js';
import { sqlitePassOnly } from '@tandem/models/testing';
import { browserSkip } from '../support/browser.js';
import { adminBrowser, browserStep } from '../support/browser-steps.js';
import { ENTRY_POINTS, startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const skip =
  browserSkip('admin live dashboard browser tests') ||
  sqlitePassOnly(
    'its plots come from the services’ metrics, not the database; the record counts (estimates on PostgreSQL) are tested on both databases by services/admin/test/record-counts.test.ts',
  );
if (skip) process.stdout.write(`# SKIP admin live dashboard browser tests: ${skip}\n`);

/**
 * Requests this test makes that fast refuses (no token: 401), and token requests auth refuses. Fast
 * times one read in 64 (services/fast/src/observability/latency.ts): these give its p99 one sample.
 */
const REFUSED_READS = 64;
const REFUSED_TOKENS = 3;
/** A customer who may place orders (issue 15's write path): one order is queued, one refused. */
const WRITER = 'writer@example.com';
/**
 * /metrics of auth and fast are guarded in this deployment: the admin scrapes with this token, anyone
 * else is refused (a scrape refused would count as a 4xx in the plots below, and show the service down).
 */
const METRICS_TOKEN = 'e2e-metrics-token-0123456789abcdefghijkl';
/** Where the sign-in app would be sent back; never reached (its sign-in fails). */
const APP_REDIRECT_URI = 'https://app.example/callback';

describe('the live dashboard', { skip }, () => {
  const services: ServiceProcess[] = [];
  let auth: ServiceProcess;
  let fast: ServiceProcess;
  /** A public app whose users sign in on auth's own page (the authorization code flow). */
  let appClientId: string;
  const browser = adminBrowser(async (db) => {
    const em = db.orm.em.fork();
    const role = em.create(Role, { name: 'customer', scopes: ['orders:write'], permissions: [] });
    const writer = em.create(User, { email: WRITER, passwordHash: await hashPassword(STAFF_PASSWORD) });
    writer.roles.add(role);
    await em.flush();
    const base = {
      DATABASE_URL: db.url,
      HOST: '127.0.0.1',
      TANDEM_SECRET_KEY: E2E_SECRET_KEY,
      METRICS_TOKEN,
    };
    const created = await tandem(
      [
        'createclient',
        'Sign-in app',
        '--public',
        '--scope',
        'orders:write',
        '--redirect-uri',
        APP_REDIRECT_URI,
      ],
      base,
    );
    appClientId = /client_id:\s+(\S+)/.exec(created)![1]!;
    auth = await startServiceProcess('auth', ENTRY_POINTS.auth, { env: { ...base, AUTH_PORT: '0' } });
    services.push(auth);
    fast = await startServiceProcess('fast', ENTRY_POINTS.fast, {
      env: { ...base, FAST_PORT: '0', TOKEN_ISSUER: auth.url },
    });
    services.push(fast);
    return { FAST_PORT: new URL(fast.url).port, AUTH_PORT: new URL(auth.url).port, METRICS_TOKEN };
  });
  after(async () => {
    for (const service of services.reverse()) await service.stop();
  });
  const step = (name: string, fn: () => Promise<void>) => browserStep(browser, name, fn);
  const summary = (plot: string) => browser.current().page.getByTestId(`plot-${plot}-summary`);
  /** The app's authorization request (PKCE, as a public client must), which shows auth's sign-in page. */
  const authorizeQuery = () =>
    new URLSearchParams({
      response_type: 'code',
      client_id: appClientId,
      redirect_uri: APP_REDIRECT_URI,
      scope: 'orders:write',
      state: 'dashboard-test',
      code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
      code_challenge_method: 'S256',
    });

  step('logs in as a superuser and sees the plots', async () => {
    const { page, login } = browser.current();
    // Three services and Chromium on a shared machine: the first, cold page load may take a while.
    page.setDefaultNavigationTimeout(60_000);
    await login();
    await page.getByTestId('live-metrics').waitFor();
    await page.getByTestId('plot-fast_requests').locator('canvas').first().waitFor();
  });

  step('plots the requests made to fast and auth during the test', async () => {
    const { page, screenshot } = browser.current();
    for (let i = 0; i < REFUSED_READS; i += 1) {
      const response = await fetch(`${fast.url}/v1/products/1`);
      assert.equal(response.status, 401);
      await response.arrayBuffer();
    }
    for (let i = 0; i < REFUSED_TOKENS; i += 1) {
      const response = await fetch(`${auth.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'nobody',
          client_secret: 'x',
        }),
      });
      assert.equal(response.status, 401);
      await response.arrayBuffer();
    }
    // Counted by fast and auth, scraped by the admin, polled by the page: within a few scrapes.
    await summary('fast_requests').getByText(`4xx: ${REFUSED_READS}`).waitFor({ timeout: 45_000 });
    await summary('auth_tokens_refused')
      .getByText(`client_credentials: ${REFUSED_TOKENS}`)
      .waitFor({ timeout: 45_000 });
    await summary('fast_read_p99')
      .getByText(/^p99: [0-9.]+ now$/)
      .waitFor({ timeout: 45_000 });
    const points = Number(await page.getByTestId('plot-fast_requests').getAttribute('data-points'));
    assert.ok(points >= 2, `${points} points plotted`);
    assert.match(
      (await summary('fast_requests').textContent()) ?? '',
      /2xx: [1-9]/,
      'its /metrics scrapes are 200s',
    );
    assert.match((await summary('fast_ws_connections').textContent()) ?? '', /connections: 0 now/);
    assert.match(
      (await summary('fast_write_queue_depth').textContent()) ?? '',
      /^depth: 0 now$/,
      'fast asked its (empty) queue',
    );
    await page.getByTestId('metrics-down-fast').waitFor({ state: 'detached' });
    await screenshot('live-dashboard');
    assert.deepEqual(browser.current().problems, []);
  });

  step('plots the write queue filling and the writes by outcome', async () => {
    const { page, screenshot } = browser.current();
    const grant = await fetch(`${auth.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        username: WRITER,
        password: STAFF_PASSWORD,
        scope: 'orders:write',
      }),
    });
    const { access_token: token } = (await grant.json()) as { access_token: string };
    assert.equal(grant.status, 200);
    const order = (quantity: number) =>
      fetch(`${fast.url}/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ lines: [{ productId: 1, quantity }] }),
      });
    // No applier runs here: the accepted order stays in the queue (the `writes` table).
    const accepted = await order(1);
    assert.equal(accepted.status, 202, await accepted.text());
    const refused = await order(0);
    assert.equal(refused.status, 422);
    assert.equal(((await refused.json()) as { error: string }).error, 'validation_failed');
    await summary('fast_write_queue_depth').getByText('depth: 1 now').waitFor({ timeout: 45_000 });
    await summary('fast_writes')
      .getByText(/^accepted: 1 · replayed: 0 · validation_failed: 1 in the last hour$/)
      .waitFor({ timeout: 45_000 });
    const points = Number(await page.getByTestId('plot-fast_write_queue_depth').getAttribute('data-points'));
    assert.ok(points >= 2, `${points} points plotted`);
    await page.getByTestId('plot-fast_writes').scrollIntoViewIfNeeded();
    await screenshot('live-dashboard-writes');
    assert.deepEqual(browser.current().problems, []);
  });

  step(
    'plots tokens issued and refused per grant, sign-in failures, auth’s p99 and fast’s feed lag',
    async () => {
      const { page, screenshot } = browser.current();
      // The step before was issued one password-grant token; this wrong password is refused.
      const wrong = await fetch(`${auth.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', username: WRITER, password: 'not it' }),
      });
      assert.equal(wrong.status, 400, await wrong.text());
      await summary('auth_tokens_issued')
        .getByText(/^password: 1 in the last hour$/)
        .waitFor({ timeout: 45_000 });
      // A wrong password on auth's own sign-in page (the authorization code flow's login form, in this
      // browser) is a sign-in failure; the refused password grant above is a refused token request, so
      // it is not counted here (else 2).
      const signIn = await page.context().newPage();
      await signIn.goto(`${auth.url}/oauth/authorize?${authorizeQuery()}`);
      await signIn.getByLabel('Email').fill(WRITER);
      await signIn.getByLabel('Password').fill('not it either');
      await signIn.getByRole('button', { name: 'Sign in' }).click();
      await signIn.getByText('Invalid email or password.').waitFor();
      await signIn.close();
      await summary('auth_login_failures')
        .getByText(/^bad_credentials: 1 · throttled: 0 in the last hour$/)
        .waitFor({ timeout: 45_000 });
      await summary('auth_tokens_refused')
        .getByText(/password: 1/)
        .waitFor({ timeout: 45_000 });
      await summary('auth_token_p99')
        .getByText(/^p99: [0-9.,]+ now$/)
        .waitFor({ timeout: 45_000 });
      // Nothing changes in the database here: fast has applied every change, so both lags read 0.
      assert.match((await summary('fast_feed_lag_events').textContent()) ?? '', /^events: 0 now$/);
      assert.match((await summary('fast_feed_lag_ms').textContent()) ?? '', /^ms: 0 now$/);
      await page.getByTestId('plot-auth_login_failures').scrollIntoViewIfNeeded();
      await screenshot('live-dashboard-auth');
      assert.deepEqual(browser.current().problems, []);
    },
  );

  step('/metrics of fast and auth answer the admin’s token only', async () => {
    for (const service of [fast, auth]) {
      for (const authorization of [
        undefined,
        'Bearer wrong-token-0123456789abcdefghijklmn',
        `Basic ${METRICS_TOKEN}`,
      ]) {
        const refused = await fetch(`${service.url}/metrics`, {
          headers: authorization === undefined ? {} : { authorization },
        });
        const text = await refused.text();
        assert.equal(refused.status, 401, `${service.url} ${authorization}`);
        assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="metrics"');
        assert.match(text, /"error":"invalid_token"/);
        assert.doesNotMatch(text, /tandem_/, 'no metric leaks in the refusal');
      }
      const read = await fetch(`${service.url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      assert.equal(read.status, 200);
      assert.match(await read.text(), /^# (HELP|TYPE) tandem_/m);
    }
  });

  step('a staff member without view_metrics sees no plots and is refused the data', async () => {
    const { page, goto, login } = browser.current();
    await page.context().clearCookies();
    await login('editor@example.com');
    await page.getByTestId('tandem-dashboard').getByText('Products', { exact: true }).waitFor();
    assert.equal(await page.getByTestId('live-metrics').count(), 0);
    const status = await page.evaluate(async () => (await fetch('/admin/api/metrics')).status);
    assert.equal(status, 403);
    await page.context().clearCookies();
    await goto('/login');
  });

  step('says fast is unreachable once it stops, and keeps plotting auth', async () => {
    const { page, login, screenshot } = browser.current();
    await login();
    await fast.stop();
    const down = page.getByTestId('metrics-down-fast');
    await down.waitFor({ timeout: 30_000 });
    assert.match(
      (await down.textContent()) ?? '',
      /fast is unreachable at http:\/\/127\.0\.0\.1:\d+\/metrics \(connection refused\)/,
    );
    assert.equal(await page.getByTestId('metrics-down-auth').count(), 0);
    await page.getByTestId('plot-fast_requests').locator('canvas').first().waitFor();
    await screenshot('live-dashboard-fast-down');
  });

  step('recent actions link to the records they changed', async () => {
    const { page, goto, admin } = browser.current();
    const product = await admin.db.orm.em.fork().findOneOrFail(Product, { sku: 'SKU-004' });
    // An edit through the admin's own API, from its page (same origin, the staff member's session).
    const status = await page.evaluate(async (id) => {
      const form = new FormData();
      form.set('name', 'Kitchen item 4, renamed');
      return (await fetch(`/admin/api/resources/Product/records/${id}/edit`, { method: 'POST', body: form }))
        .status;
    }, product.id);
    assert.equal(status, 200);
    await goto('');
    const link = page.getByTestId('recent-action').getByRole('link', { name: 'Kitchen item 4, renamed' });
    await link.click();
    await page.waitForURL(new RegExp(`/admin/resources/Product/records/${product.id}/show$`));
    await page.getByText('SKU-004').first().waitFor();
  });
});
