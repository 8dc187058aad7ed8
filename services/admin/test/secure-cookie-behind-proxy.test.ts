/**
 * Behind a trusted proxy (TRUSTED_PROXIES, README: deployment): the session cookie is Secure when the
 * browser spoke HTTPS, as the proxy's X-Forwarded-Proto says; and the pages that name the client by
 * its address (the password guesses' throttle) read it from X-Forwarded-For, and work.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';

const signIn = (fixture: Fixture, headers: Record<string, string> = {}) =>
  new Client(fixture.origin).request('/admin/login', {
    form: { email: 'root@example.com', password: PASSWORD },
    headers,
  });

describe('the session cookie behind a TLS proxy', () => {
  let proxied: Fixture;
  let direct: Fixture;
  before(async () => {
    proxied = await startFixture({ TRUSTED_PROXIES: 'loopback', LOGIN_THROTTLE_ATTEMPTS: '2' });
    direct = await startFixture();
  });
  after(async () => {
    await proxied.close();
    await direct.close();
  });

  it('gets Secure when a trusted proxy says the browser used HTTPS, and not for plain HTTP', async () => {
    const https = await signIn(proxied, { 'x-forwarded-proto': 'https' });
    assert.equal(https.status, 302);
    assert.match(https.headers.get('set-cookie') ?? '', /^tandem_admin=.*;\s*Secure/i);
    const http = await signIn(proxied);
    assert.equal(http.status, 302);
    assert.doesNotMatch(http.headers.get('set-cookie') ?? '', /Secure/i);
  });

  it('changes a password behind the proxy, counting wrong guesses per forwarded address', async () => {
    const editor = new Client(proxied.origin);
    assert.equal((await editor.login('editor@example.com')).status, 302);
    const change = async (currentPassword: string, from: string) => {
      const response = await editor.request('/admin/api/pages/changePassword', {
        json: { currentPassword, newPassword: 'a new long password', confirmPassword: 'a new long password' },
        headers: { 'x-forwarded-for': from },
      });
      assert.equal(response.status, 200, `${from}: ${response.status}`);
      return ((await response.json()) as { notice?: { message: string } }).notice?.message ?? '';
    };
    // Two wrong guesses lock that address for this account...
    for (const guess of ['wrong 1', 'wrong 2'])
      assert.match(await change(guess, '203.0.113.7'), /correct the errors/);
    assert.match(await change(PASSWORD, '203.0.113.7'), /Too many wrong passwords/);
    // ...not the proxy's own address, which every browser behind it shares.
    assert.equal(await change(PASSWORD, '203.0.113.8'), 'Your password was changed.');
  });

  it('believes no X-Forwarded-Proto when no proxy is trusted', async () => {
    const spoofed = await signIn(direct, { 'x-forwarded-proto': 'https' });
    assert.equal(spoofed.status, 302);
    assert.doesNotMatch(spoofed.headers.get('set-cookie') ?? '', /Secure/i);
  });
});
