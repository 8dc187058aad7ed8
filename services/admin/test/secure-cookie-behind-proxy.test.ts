/**
 * The session cookie is Secure when the browser spoke HTTPS: behind a TLS-terminating proxy that is
 * what the proxy's X-Forwarded-Proto says, believed only from TRUSTED_PROXIES (README: deployment).
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
    proxied = await startFixture({ TRUSTED_PROXIES: 'loopback' });
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

  it('believes no X-Forwarded-Proto when no proxy is trusted', async () => {
    const spoofed = await signIn(direct, { 'x-forwarded-proto': 'https' });
    assert.equal(spoofed.status, 302);
    assert.doesNotMatch(spoofed.headers.get('set-cookie') ?? '', /Secure/i);
  });
});
