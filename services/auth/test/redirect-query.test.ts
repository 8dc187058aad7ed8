/**
 * A registered redirect URI's own query is kept as registered when the answer's parameters are added
 * (RFC 6749 §3.1.2): a client that matches its callback strictly must find it unchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestAuth, type TestAuth } from './support.js';
import { FormBrowser, authorizeQuery, createCodeClient, validAuthorizeParams } from './code-flow-support.js';
import { withQueryValues } from '../src/authorize/redirect-query.js';

const REGISTERED = 'https://q.example/cb?flag&next=/home;x';

describe('redirect URIs with a query of their own', () => {
  let auth: TestAuth;
  before(async () => {
    auth = await startTestAuth();
  });
  after(() => auth.close());

  it('the authorization answer appends to the registered query, byte for byte', async () => {
    const client = await createCodeClient(auth, { isPublic: true, redirectUris: [REGISTERED] });
    const params = {
      ...validAuthorizeParams(client),
      redirect_uri: REGISTERED,
      prompt: 'none',
      state: 's 1',
    };
    const answer = await new FormBrowser(auth.url).get(authorizeQuery(params));
    assert.equal(answer.status, 303);
    const location = answer.location!;
    assert.ok(location.startsWith(`${REGISTERED}&error=login_required&`), location);
    const added = new URLSearchParams(location.slice(REGISTERED.length + 1));
    assert.equal(added.get('state'), 's 1');
    assert.match(added.get('iss') ?? '', /^http/, 'the issuer (RFC 9207)');
  });

  it('withQueryValues: keeps the query and the fragment, adds encoded values', () => {
    assert.equal(
      withQueryValues('https://a.example/cb', [['state', 'a b&c']]),
      'https://a.example/cb?state=a+b%26c',
    );
    assert.equal(withQueryValues('https://a.example/cb?x', [['code', '1']]), 'https://a.example/cb?x&code=1');
    assert.equal(withQueryValues('https://a.example/cb?', [['code', '1']]), 'https://a.example/cb?code=1');
    assert.equal(
      withQueryValues('https://a.example/cb?a=%2F&', [['code', '1']]),
      'https://a.example/cb?a=%2F&code=1',
    );
    assert.equal(
      withQueryValues('https://a.example/cb?a#f', [['code', '1']]),
      'https://a.example/cb?a&code=1#f',
    );
    assert.equal(withQueryValues(REGISTERED, []), REGISTERED);
  });
});
