import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationCode } from '@tandem/models';
import { createRole, createUser, startTestAuth, type TestAuth } from './support.js';
import {
  FormBrowser,
  REDIRECT_URI,
  authorizeQuery,
  createCodeClient,
  formFields,
  type CodeClient,
  validAuthorizeParams,
} from './code-flow-support.js';

const EMAIL = 'victim@example.com';

function without(params: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([key]) => key !== name));
}
const PASSWORD = 'victim password 123';

/**
 * Every parameter of /oauth/authorize as an attacker would try it. Until the client and redirect
 * URI are known good nothing is redirected anywhere (no open redirector); after that, the RFC 6749
 * §4.1.2.1 code goes back to the registered URI with the state.
 */
describe('attacks on /oauth/authorize', () => {
  let auth: TestAuth;
  let client: CodeClient;
  let other: CodeClient;
  const good = () => validAuthorizeParams(client);

  before(async () => {
    auth = await startTestAuth();
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, EMAIL, PASSWORD, ['reader']);
    client = await createCodeClient(auth, { isPublic: true });
    other = await createCodeClient(auth, { redirectUris: ['https://other.example/cb'] });
  });
  after(() => auth.close());

  const onPage = async (query: string, code: string, message: RegExp) => {
    const answer = await new FormBrowser(auth.url).get(query);
    assert.equal(answer.status, 400, `${query}: ${answer.status}`);
    assert.equal(answer.location, undefined, 'never redirected');
    assert.match(answer.html, new RegExp(`<code>${code}</code>`));
    assert.match(answer.html, message);
    return answer;
  };
  const redirected = async (params: Record<string, string>, error: string, rawQuery?: string) => {
    const answer = await new FormBrowser(auth.url).get(rawQuery ?? authorizeQuery(params));
    assert.equal(answer.status, 303, answer.html.slice(0, 300));
    const back = new URL(answer.location!);
    assert.equal(`${back.origin}${back.pathname}`, REDIRECT_URI);
    assert.equal(back.searchParams.get('error'), error);
    assert.ok(back.searchParams.get('error_description'));
    assert.equal(back.searchParams.get('code'), null);
    return back;
  };

  it('client_id: missing, unknown, over-long, repeated or a machine client: shown on the page', async () => {
    const rest = without(good(), 'client_id');
    await onPage(authorizeQuery(rest), 'invalid_request', /client_id/);
    await onPage(authorizeQuery({ ...good(), client_id: 'tc_doesnotexist' }), 'invalid_client', /Unknown/);
    await onPage(authorizeQuery({ ...good(), client_id: 'x'.repeat(5000) }), 'invalid_client', /Unknown/);
    await onPage(`${authorizeQuery(good())}&client_id=${other.clientId}`, 'invalid_request', /repeated/);
    const machine = await createCodeClient(auth, { grantTypes: ['client_credentials'], redirectUris: [] });
    await onPage(
      authorizeQuery({ ...good(), client_id: machine.clientId }),
      'unauthorized_client',
      /may not/,
    );
  });

  it('redirect_uri: never followed unless registered exactly for this client (no open redirect)', async () => {
    for (const uri of [
      'https://evil.example/callback',
      'https://app.example/callback/',
      'https://app.example/callback?x=1',
      'https://app.example/callback#frag',
      'https://app.example/callbackx',
      'https://APP.example/callback',
      'https://app.example.evil.example/callback',
      'https://app.example@evil.example/callback',
      'https://other.example/cb', // registered, but for another client
      'javascript:alert(1)',
    ]) {
      await onPage(authorizeQuery({ ...good(), redirect_uri: uri }), 'invalid_request', /not registered/);
    }
    await onPage(
      `${authorizeQuery(good())}&redirect_uri=https%3A%2F%2Fevil.example%2F`,
      'invalid_request',
      /repeated/,
    );
    // A bad client AND a bad redirect URI with errors further on: still only the page.
    await onPage(
      authorizeQuery({ ...good(), redirect_uri: 'https://evil.example/', response_type: 'token' }),
      'invalid_request',
      /not registered/,
    );
  });

  it('response_type: missing is invalid_request, anything but code unsupported_response_type', async () => {
    const rest = without(good(), 'response_type');
    await redirected(rest, 'invalid_request');
    for (const type of ['token', 'id_token', 'code id_token', 'code token', 'CODE'])
      await redirected({ ...good(), response_type: type }, 'unsupported_response_type');
  });

  it('PKCE: missing challenge, plain or unknown method, malformed challenge', async () => {
    const noChallenge = without(good(), 'code_challenge');
    await redirected(noChallenge, 'invalid_request');
    const noMethod = without(good(), 'code_challenge_method');
    await redirected(noMethod, 'invalid_request'); // absent means plain (RFC 7636 §4.3)
    await redirected({ ...good(), code_challenge_method: 'plain' }, 'invalid_request');
    await redirected({ ...good(), code_challenge_method: 's256' }, 'invalid_request');
    for (const challenge of ['short', 'a'.repeat(44), `${'a'.repeat(42)}=`, `${'a'.repeat(42)}/`])
      await redirected({ ...good(), code_challenge: challenge }, 'invalid_request');
  });

  it('scope: malformed, or beyond what the client may request, is invalid_scope', async () => {
    await redirected({ ...good(), scope: 'catalog:read admin:all' }, 'invalid_scope');
    await redirected({ ...good(), scope: 'catalog:read "quoted"' }, 'invalid_scope');
    await redirected({ ...good(), scope: 'catalog:read\\x' }, 'invalid_scope');
  });

  it('state: echoed exactly (markup included, never interpreted), refused when huge', async () => {
    const state = '<script>alert(1)</script>&x=1#"';
    const back = await redirected({ ...good(), response_type: 'token', state }, 'unsupported_response_type');
    assert.equal(back.searchParams.get('state'), state);
    const huge = await redirected({ ...good(), state: 's'.repeat(3000) }, 'invalid_request');
    assert.equal(huge.searchParams.get('state'), null);
  });

  it('prompt, max_age, nonce, response_mode, request objects: checked with their OpenID Connect codes', async () => {
    await redirected({ ...good(), prompt: 'none login' }, 'invalid_request');
    await redirected({ ...good(), prompt: 'everything' }, 'invalid_request');
    // Not acted on (no account chooser), so refused rather than silently ignored: discovery lists the rest.
    await redirected({ ...good(), prompt: 'select_account' }, 'invalid_request');
    await redirected({ ...good(), prompt: 'none' }, 'login_required');
    for (const maxAge of ['-1', '1.5', 'abc', '99999999999'])
      await redirected({ ...good(), max_age: maxAge }, 'invalid_request');
    await redirected({ ...good(), nonce: 'n'.repeat(600) }, 'invalid_request');
    await redirected({ ...good(), response_mode: 'fragment' }, 'invalid_request');
    await redirected({ ...good(), response_mode: 'form_post' }, 'invalid_request');
    await redirected({ ...good(), request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported');
    await redirected({ ...good(), request_uri: 'https://evil.example/req' }, 'request_uri_not_supported');
  });

  it('any other repeated parameter is invalid_request (RFC 6749 §3.1), names decoded first', async () => {
    await redirected(good(), 'invalid_request', `${authorizeQuery(good())}&sco%70e=openid`);
    await redirected(good(), 'invalid_request', `${authorizeQuery(good())}&state=other`);
  });

  it('login_hint and the client name are escaped on the page', async () => {
    const page = await new FormBrowser(auth.url).get(
      authorizeQuery({ ...good(), login_hint: '"><script>alert(1)</script>' }),
    );
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.html, /<script>/);
    assert.match(page.html, /Public &#60;b&#62;App&#60;\/b&#62;/);
    assert.match(String(page.headers.get('content-security-policy')), /default-src 'none'/);
    assert.match(String(page.headers.get('content-security-policy')), /frame-ancestors 'none'/);
  });

  it('CSRF: a cross-site post, a missing or forged token, or a token of another browser is refused before the password is checked', async () => {
    const browser = new FormBrowser(auth.url);
    const login = await browser.get(authorizeQuery(good()));
    const fields: Record<string, string> = { ...formFields(login.html), email: EMAIL, password: PASSWORD };
    const refusedWith = async (answer: { status: number; html: string }) => {
      assert.equal(answer.status, 403);
      assert.match(answer.html, /csrf_failed/);
    };
    await refusedWith(await browser.post('/oauth/authorize', fields, { 'Sec-Fetch-Site': 'cross-site' }));
    await refusedWith(await browser.post('/oauth/authorize', fields, { 'Sec-Fetch-Site': 'same-site' }));
    const noFetchMetadata = { 'Sec-Fetch-Site': '', Origin: 'https://evil.example' };
    await refusedWith(await browser.post('/oauth/authorize', fields, noFetchMetadata));
    await refusedWith(await browser.post('/oauth/authorize', { ...fields, csrf: 'forged' }));
    const withoutToken = without(fields, 'csrf');
    await refusedWith(await browser.post('/oauth/authorize', withoutToken));
    const stranger = new FormBrowser(auth.url);
    await stranger.get(authorizeQuery(good()));
    await refusedWith(await stranger.post('/oauth/authorize', fields)); // another browser's token
    // The same form from the page's own origin signs in.
    const ok = await browser.post('/oauth/authorize', fields);
    assert.equal(ok.status, 200, 'consent page');
    assert.match(ok.html, /Allow access/);
  });

  it('a tampered authorization request in the form is checked again (no swapped redirect_uri)', async () => {
    const browser = new FormBrowser(auth.url);
    const login = await browser.get(authorizeQuery(good()));
    const fields = formFields(login.html);
    const swapped = fields.authorization!.replace(
      encodeURIComponent(REDIRECT_URI),
      encodeURIComponent('https://evil.example/'),
    );
    const answer = await browser.post('/oauth/authorize', {
      ...fields,
      authorization: swapped,
      email: EMAIL,
      password: PASSWORD,
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.location, undefined);
  });

  it('parallel password guesses on the login page never exceed the throttle, and say nothing about the account', async () => {
    const browser = new FormBrowser(auth.url);
    const login = await browser.get(authorizeQuery(good()));
    const fields = formFields(login.html);
    const failuresBefore = await loginFailures();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        browser.post('/oauth/authorize', { ...fields, email: EMAIL, password: 'wrong guess!' }),
      ),
    );
    const checked = answers.filter((answer) => answer.status === 401).length;
    assert.equal(checked, auth.config.loginThrottle.attempts);
    const throttled = answers.filter((answer) => answer.status === 429);
    assert.equal(throttled.length, 12 - checked);
    assert.ok(throttled[0]!.headers.get('retry-after'));
    // Now even the right password is refused from this address, the same way.
    const right = await browser.post('/oauth/authorize', { ...fields, email: EMAIL, password: PASSWORD });
    assert.equal(right.status, 429);
    assert.equal(await auth.db.orm.em.fork().count(AuthorizationCode, {}), 0);
    // Each refusal is counted by reason on /metrics (the admin's live dashboard plots them).
    const failures = await loginFailures();
    assert.equal(failures.bad_credentials - failuresBefore.bad_credentials, checked);
    assert.equal(failures.throttled - failuresBefore.throttled, throttled.length + 1);
  });

  /** tandem_auth_login_failures_total by reason, as /metrics says now. */
  async function loginFailures(): Promise<{ bad_credentials: number; throttled: number }> {
    const text = await (await fetch(`${auth.url}/metrics`)).text();
    const count = (reason: string) =>
      Number(
        new RegExp(`^tandem_auth_login_failures_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(
          text,
        )?.[1] ?? 0,
      );
    return { bad_credentials: count('bad_credentials'), throttled: count('throttled') };
  }
});
