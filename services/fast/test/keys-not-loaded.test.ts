/**
 * Fast started while auth is unreachable holds no signing keys. A valid token must then get a 503
 * that tells the client to retry (keys_not_loaded, Retry-After), not the 401 invalid_token that makes
 * clients throw good tokens away. Once the keys are held, the same token reads (200), and a token
 * signed with a key the issuer does not publish is a 401 again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@tandem/config';
import { createLogger } from '@tandem/log';
import { createMigratedDatabase, testDialect } from '@tandem/models/testing';
import { FAILING } from '../src/observability/health.js';
import { startFast } from '../src/server.js';
import { eventually, seedCatalog } from './support/fast.js';
import { bearer, get } from './support/http.js';
import { TestIssuer } from './support/issuer.js';

test(`with no signing keys ever fetched, /v1 answers 503 keys_not_loaded, then 200 once auth is up (${testDialect()})`, async () => {
  const db = await createMigratedDatabase();
  await seedCatalog(db, 1);
  const issuer = await TestIssuer.notStartedYet(); // its URL is known, nothing listens there yet
  const config = loadConfig({
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    FAST_PORT: '0',
    TOKEN_ISSUER: issuer.url,
    LOG_LEVEL: 'silent',
    FEED_POLL_MS: '5',
  });
  const fast = await startFast({ config, orm: db.orm, logger: createLogger('fast', 'silent') });
  try {
    await fast.ready; // the data is loaded: a 503 below is about the keys, not the snapshot
    await eventually('the first JWKS fetch failed', () => fast.jwks.lastError !== undefined);
    // /healthz says the key fetch fails, not how: the message names the issuer's internal URL.
    const health = await get(`${fast.url}/healthz`);
    assert.equal(health.status, 503);
    assert.equal(health.json.jwks.lastError, FAILING);
    assert.equal(health.text.includes(new URL(issuer.url).host), false, health.text);
    const [row] = (await db.orm.em
      .getConnection()
      .execute(
        `select min(id) as id from products where published = ${testDialect() === 'postgresql' ? 'true' : '1'}`,
      )) as { id: number }[];
    const token = await issuer.sign();
    const failuresBefore = fast.metrics.tokenFailures;

    for (const path of [`/v1/products/${row!.id}`, '/v1/products']) {
      const res = await get(`${fast.url}${path}`, bearer(token));
      assert.equal(res.status, 503, `${path}: ${res.status} ${res.text}`);
      assert.equal(res.headers['retry-after'], '1');
      assert.equal(res.headers['www-authenticate'], undefined, 'no invalid_token challenge');
      assert.equal(res.json.error, 'keys_not_loaded');
      assert.match(res.json.message, /signing keys/);
    }
    const upgrade = await get(`${fast.url}/v1/live`, {
      ...bearer(token),
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
    assert.equal(upgrade.status, 503, `/v1/live: ${upgrade.status} ${upgrade.text}`);
    assert.equal(upgrade.json.error, 'keys_not_loaded');
    assert.equal(fast.metrics.tokenFailures, failuresBefore, 'not counted as a refused token');
    // Requests that are refused before any key is needed keep their own answers.
    assert.equal((await get(`${fast.url}/v1/products`)).status, 401, 'no token at all');
    assert.equal((await get(`${fast.url}/v1/products`, bearer('not-a-jwt'))).status, 401, 'malformed');

    await issuer.restart();
    await eventually(
      'the same token is accepted once the keys are held',
      async () => (await get(`${fast.url}/v1/products/${row!.id}`, bearer(token))).status === 200,
    );
    const unpublished = await new TestIssuer().addKey(); // a key this issuer never published
    const forged = await issuer.sign({}, { key: unpublished });
    const res = await get(`${fast.url}/v1/products/${row!.id}`, bearer(forged));
    assert.equal(res.status, 401, `${res.status} ${res.text}`);
    assert.equal(res.json.error, 'invalid_token');
    assert.match(res.json.message, /unknown key/);
  } finally {
    await fast.close();
    await issuer.stop();
    await db.close();
  }
});
