import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { startAdmin } from '../src/server.js';
import { Client, startFixture, type Fixture } from './support.js';

describe('staff login', () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await startFixture({ LOGIN_THROTTLE_ATTEMPTS: '3' });
  });
  after(async () => {
    await fixture.close();
  });

  it('serves the login page with fonts from the admin itself', async () => {
    const response = await new Client(fixture.origin).request('/admin/login');
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.doesNotMatch(html, /fonts\.googleapis\.com/);
    assert.match(html, /\/admin\/static\/roboto\/400\.css/);
    const css = await new Client(fixture.origin).request('/admin/static/roboto/400.css');
    assert.equal(css.status, 200);
  });

  it('sends anonymous visitors to the login page and refuses the API', async () => {
    const client = new Client(fixture.origin);
    const page = await client.request('/admin/resources/Product');
    assert.equal(page.status, 302);
    assert.equal(page.headers.get('location'), '/admin/login');
    const api = await client.request('/admin/api/resources/Product/actions/list');
    assert.equal(api.status, 401);
  });

  it('lets an active staff user in with an httpOnly, SameSite=lax session cookie', async () => {
    const client = new Client(fixture.origin);
    const response = await client.login('ROOT@example.com');
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), '/admin');
    const cookie = response.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^tandem_admin=/);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    const dashboard = await client.request('/admin');
    assert.equal(dashboard.status, 200);
  });

  for (const [label, email, password] of [
    ['a wrong password', 'editor@example.com', 'not the password'],
    ['an unknown email', 'nobody@example.com', 'whatever password'],
    ['an inactive staff user', 'inactive@example.com', undefined],
    ['an active user who is not staff', 'customer@example.com', undefined],
    // PostgreSQL refuses a NUL in a query: an email holding one answered 500 there.
    ['an email with a NUL character', 'root\u0000@example.com', undefined],
  ] as const) {
    it(`refuses ${label} with a clear message`, async () => {
      const client = new Client(fixture.origin);
      const response = await client.login(email, password);
      assert.equal(response.status, 401);
      const html = await response.text();
      assert.match(html, /invalidStaffLogin/);
      const after = await client.request('/admin/api/resources/Product/actions/list');
      assert.equal(after.status, 401);
    });
  }

  it('throttles repeated failures for an account and says how long to wait', async () => {
    const client = new Client(fixture.origin);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      assert.equal((await client.login('root@example.com', 'wrong password')).status, 401);
    }
    // Even the right password is refused while throttled.
    const throttled = await client.login('root@example.com');
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers.get('retry-after')) > 0);
    assert.match(await throttled.text(), /Too many failed login attempts\. Try again in \d+ s\./);
  });

  it('keeps the session across an admin restart (sessions live in the database)', async () => {
    const client = new Client(fixture.origin);
    await client.login('editor@example.com');
    const second = await startAdmin({
      config: loadConfig({
        DATABASE_URL: fixture.db.url,
        LOG_LEVEL: 'silent',
        TANDEM_SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
      }),
      orm: fixture.db.orm,
      logger: createLogger('admin-test', 'silent'),
      port: 0,
    });
    try {
      const other = new Client(new URL(second.url).origin);
      Object.assign(other, { cookie: (client as unknown as { cookie: string }).cookie });
      const response = await other.request('/admin/api/resources/Product/actions/list');
      assert.equal(response.status, 200);
    } finally {
      await second.close();
    }
  });

  it('never logs what was typed into the email field (a password typed there by mistake)', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString('utf8');
        done();
      },
    });
    const admin = await startAdmin({
      config: loadConfig({
        DATABASE_URL: fixture.db.url,
        TANDEM_SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
        LOGIN_THROTTLE_ATTEMPTS: '2',
      }),
      orm: fixture.db.orm,
      logger: createLogger('admin-test', 'info', sink),
      port: 0,
    });
    try {
      const client = new Client(new URL(admin.url).origin);
      const typed = 'Hunter2-MyRealPassword!';
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await client.request('/admin/login', { method: 'POST', form: { email: typed, password: typed } });
      }
      const refusedKnown = await client.login('editor@example.com', 'not the password');
      assert.equal(refusedKnown.status, 401);
      const lines = logged
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const refusals = lines.filter((line) => line.msg === 'admin login refused');
      assert.equal(
        lines.filter((line) => line.msg === 'admin login throttled').length,
        1,
        'the third try was throttled',
      );
      assert.deepEqual(
        refusals.map((line) => line.userId),
        [null, null, fixture.ids.editor],
        'a refusal names the account by id when the email is one',
      );
      assert.doesNotMatch(logged.toLowerCase(), /hunter2/, 'the typed text is not in the log');
      assert.doesNotMatch(logged, /editor@example\.com/);
    } finally {
      await admin.close();
    }
  });

  it('logs out', async () => {
    const client = new Client(fixture.origin);
    await client.login('editor@example.com');
    const out = await client.request('/admin/logout', { method: 'POST' });
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), '/admin/login');
    assert.equal((await client.request('/admin/api/resources/Product/actions/list')).status, 401);
  });
});
