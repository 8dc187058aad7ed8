/**
 * METRICS_TOKEN guards auth's GET /metrics as it does fast's: without the bearer token (or with a wrong
 * one, or with an access token auth issued) the answer is 401 with a challenge and no metric in it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { basicAuth, createTestClient, postForm, startTestAuth, type TestAuth } from './support.js';

const METRICS_TOKEN = 'auth-metrics-token-0123456789abcdefghijk';

describe(`auth /metrics with METRICS_TOKEN set (${testDialect()})`, () => {
  let auth: TestAuth;
  before(async () => {
    auth = await startTestAuth({ METRICS_TOKEN });
  });
  after(() => auth?.close());

  const scrape = (headers: Record<string, string> = {}) => fetch(`${auth.url}/metrics`, { headers });

  test('refuses every request without the token, naming the scheme, showing no metric', async () => {
    const client = await createTestClient(auth, 'metrics-probe', ['catalog:read']);
    const issued = await postForm(
      `${auth.url}/oauth/token`,
      { grant_type: 'client_credentials' },
      basicAuth(client.clientId, client.clientSecret),
    );
    assert.equal(issued.status, 200, issued.text);
    for (const authorization of [
      undefined,
      'Bearer not-the-metrics-token-0123456789abcdefghij',
      `Bearer ${METRICS_TOKEN.slice(1)}`,
      `Bearer  ${METRICS_TOKEN}`,
      METRICS_TOKEN,
      basicAuth(client.clientId, client.clientSecret).Authorization!,
      `Bearer ${String(issued.body.access_token)}`,
    ]) {
      const reply = await scrape(authorization === undefined ? {} : { authorization });
      const text = await reply.text();
      assert.equal(reply.status, 401, String(authorization));
      assert.equal(reply.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      assert.equal(reply.headers.get('cache-control'), 'no-store');
      const body = JSON.parse(text) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_token');
      assert.match(body.error_description, /METRICS_TOKEN/);
      assert.doesNotMatch(text, /tandem_auth/);
    }
  });

  test('answers the configured token', async () => {
    const reply = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(reply.status, 200);
    assert.match(await reply.text(), /tandem_auth_tokens_issued_total\{grant_type="client_credentials"\} 1/);
  });
});

describe(`auth /metrics without METRICS_TOKEN (${testDialect()})`, () => {
  let auth: TestAuth;
  before(async () => {
    auth = await startTestAuth();
  });
  after(() => auth?.close());

  test('is open, as before', async () => {
    const reply = await fetch(`${auth.url}/metrics`);
    assert.equal(reply.status, 200);
    assert.match(await reply.text(), /tandem_auth_/);
  });
});
