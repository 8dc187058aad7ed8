/**
 * Stored XSS through the page state: AdminJS writes the staff member's email into an inline
 * `<script>window.REDUX_STATE = …</script>`. An email (stored before emails were checked for markup,
 * or written around the model) that closes the script must stay inert text; every admin response
 * carries the security headers. (e2e/test/admin-browser.test.ts checks in Chromium that it never runs.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { User } from '@tandem/models';
import { Client, startFixture, type Fixture } from './support.js';

export const XSS_EMAIL = '</script><script>window.pwned=1</script>\u2028@example.com';

describe('attack: stored XSS through the page state', () => {
  let fixture: Fixture;

  before(async () => {
    fixture = await startFixture();
  });
  after(() => fixture.close());

  it('embeds the email as inert JSON and marks only its own inline scripts with the CSP nonce', async () => {
    const client = new Client(fixture.origin);
    assert.equal((await client.login('editor@example.com')).status, 302);
    // The email changes around the model's validation, as a legacy row or a direct SQL write would;
    // the staff member is reloaded from the database on every request.
    await fixture.db.orm.em.fork().nativeUpdate(User, { id: fixture.ids.editor }, { email: XSS_EMAIL });
    const response = await client.request('/admin');
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.ok(!html.includes('<script>window.pwned'), 'the email cannot close the script');
    assert.ok(!html.includes('\u2028'), 'no raw line separators inside the script');
    const state = /window\.REDUX_STATE = ([^\n]*);\n/.exec(html);
    assert.ok(state, 'the state is there');
    assert.equal((JSON.parse(state[1]!) as { session: { email: string } }).session.email, XSS_EMAIL);

    const csp = response.headers.get('content-security-policy') ?? '';
    const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, `script-src with a nonce: ${csp}`);
    assert.ok(!/script-src[^;]*unsafe-inline/.test(csp));
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((match) => match[1]);
    assert.ok(inline.length >= 2);
    for (const attributes of inline) assert.equal(attributes, ` nonce="${nonce}"`);
  });

  it('sends the security headers on pages, API answers, assets and errors', async () => {
    const client = new Client(fixture.origin);
    await client.login('root@example.com');
    for (const path of [
      '/admin/login',
      '/admin',
      '/admin/api/resources/Product/actions/list',
      '/admin/frontend/assets/app.bundle.js',
      '/admin/api/resources/Nope/actions/list',
      '/healthz',
    ]) {
      const response = await client.request(path);
      const headers = response.headers;
      const csp = headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /default-src 'self'/, path);
      assert.equal(headers.get('x-frame-options'), 'DENY', path);
      assert.equal(headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(headers.get('referrer-policy'), 'same-origin', path);
    }
  });

  it('refuses such an email when a user is created or renamed in the admin', async () => {
    const root = new Client(fixture.origin);
    await root.login('root@example.com');
    for (const email of [
      XSS_EMAIL,
      '<b>@example.com',
      'a"b@example.com',
      'a b@example.com',
      'a\\b@example.com',
    ]) {
      const { body } = await root.api<{ record: { errors: Record<string, { message: string }> } }>(
        '/resources/User/actions/new',
        { form: { email, password: 'a long enough password' } },
      );
      assert.equal(body.record.errors.email?.message, 'Enter a valid email address.', email);
    }
    assert.equal(
      await fixture.db.orm.em.fork().count(User, { email: { $like: '%<%' } }),
      1,
      'only the planted one',
    );
  });

  it("accepts an apostrophe, which real addresses have (o'brien@example.com)", async () => {
    const root = new Client(fixture.origin);
    await root.login('root@example.com');
    const { body } = await root.api<{ record: { errors: Record<string, unknown> } }>(
      '/resources/User/actions/new',
      { form: { email: "o'brien@example.com", password: 'a long enough password' } },
    );
    assert.deepEqual(body.record.errors, {});
    assert.equal(await fixture.db.orm.em.fork().count(User, { email: "o'brien@example.com" }), 1);
  });

  it('a staff member whose stored email predates the stricter check can still log in', async () => {
    const legacy = 'legacy"quote@example.com';
    await fixture.db.orm.em.fork().nativeUpdate(User, { id: fixture.ids.editor }, { email: legacy });
    const response = await new Client(fixture.origin).login(legacy);
    assert.equal(response.status, 302, 'logging in saves lastLoginAt without re-validating the email');
    const user = await fixture.db.orm.em.fork().findOneOrFail(User, fixture.ids.editor);
    assert.ok(user.lastLoginAt, 'the login was recorded');
  });
});
