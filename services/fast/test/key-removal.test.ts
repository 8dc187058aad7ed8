/**
 * A signing key the issuer stops publishing (retired, or removed because its private half leaked) must
 * stop verifying without a restart, though tokens signed with keys already held never ask for a JWKS
 * fetch: fast fetches the JWKS again every JWKS_REFRESH_SECONDS, and drops the cached tokens of a key
 * that left it. A token already accepted from that key (cached) is refused from then on too.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import { eventually, seedCatalog, startHarness, type Harness } from './support/fast.js';
import { bearer, get } from './support/http.js';

let h: Harness;
let productUrl: string;

before(async () => {
  h = await startHarness(
    // No unknown-kid refetch within the test: only the periodic refresh can notice the removal.
    { JWKS_REFRESH_SECONDS: '1', JWKS_REFETCH_MIN_SECONDS: '600' },
    (db) => seedCatalog(db, 1),
  );
  const [row] = await h.sql(
    `select min(id) as id from products where published = ${testDialect() === 'postgresql' ? 'true' : '1'}`,
  );
  productUrl = `${h.fast.url}/v1/products/${row.id}`;
});
after(() => h?.close());

test(`a key removed from the issuer's JWKS is refused within the refresh interval, cached tokens too (${testDialect()})`, async () => {
  const a = h.issuer.keys[0]!;
  const b = await h.issuer.addKey();
  await h.fast.jwks.refresh(true); // B published and held, as a next key is before it signs
  const cachedOfA = await h.issuer.sign({}, { key: a });
  const cachedOfB = await h.issuer.sign({}, { key: b });
  assert.equal((await get(productUrl, bearer(cachedOfA))).status, 200);
  assert.equal((await get(productUrl, bearer(cachedOfB))).status, 200);

  h.issuer.keys = h.issuer.keys.filter((key) => key !== a);
  const removedAt = Date.now();
  await eventually(
    'a new token signed with the removed key is refused',
    async () => (await get(productUrl, bearer(await h.issuer.sign({}, { key: a })))).status === 401,
    4_000,
  );
  // JWKS_REFRESH_SECONDS is 1: one interval, plus margin for a loaded runner.
  assert.ok(Date.now() - removedAt < 3_000, `refused after ${Date.now() - removedAt} ms`);
  const cached = await get(productUrl, bearer(cachedOfA));
  assert.equal(cached.status, 401, "the removed key's cached token is refused too");
  assert.match(cached.json.message, /unknown key/);
  assert.equal((await get(productUrl, bearer(cachedOfB))).status, 200, "the remaining key's cached token");
  assert.equal((await get(productUrl, bearer(await h.issuer.sign({}, { key: b })))).status, 200);
});
