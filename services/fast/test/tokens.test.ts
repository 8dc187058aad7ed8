import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT, base64url, generateKeyPair } from 'jose';
import { testDialect } from '@tandem/models/testing';
import { eventually, seedCatalog, startHarness, type Harness } from './support/fast.js';
import { bearer, get } from './support/http.js';

let h: Harness;
let productUrl: string;

/** "Revoked sessions ... their tokens are refused within a second" (README), with one second of margin. */
const REVOCATION_DEADLINE_MS = 2_000;

before(async () => {
  h = await startHarness(
    {
      JWKS_REFETCH_MIN_SECONDS: '1',
      TOKEN_LEEWAY_SECONDS: '5',
      // The feed's default timings, not the harness's faster ones: the promise is made for the defaults.
      FEED_POLL_MS: '10',
      FEED_FALLBACK_POLL_MS: '1000',
    },
    (db) => seedCatalog(db, 2),
  );
  const [row] = await h.sql(
    `select min(id) as id from products where published = ${testDialect() === 'postgresql' ? 'true' : '1'}`,
  );
  productUrl = `${h.fast.url}/v1/products/${row.id}`;
});
after(() => h?.close());

async function expect401(token: string | undefined, message: RegExp) {
  const res = await get(productUrl, token === undefined ? {} : bearer(token));
  assert.equal(res.status, 401, `expected 401, got ${res.status} ${res.text}`);
  assert.match(res.headers['www-authenticate'] as string, /^Bearer realm="tandem", error="invalid_token"/);
  assert.equal(res.json.error, 'invalid_token');
  assert.match(res.json.message, message);
}

const parts = (token: string) => token.split('.') as [string, string, string];
const encode = (value: object) => base64url.encode(JSON.stringify(value));

test('a valid token is verified once, then served from the cache', async () => {
  const token = await h.issuer.sign();
  const misses = h.fast.verifier.cache.misses;
  assert.equal((await get(productUrl, bearer(token))).status, 200);
  const hits = h.fast.verifier.cache.hits;
  assert.equal((await get(productUrl, bearer(token))).status, 200);
  assert.equal(h.fast.verifier.cache.hits, hits + 1);
  assert.equal(h.fast.verifier.cache.misses, misses + 1);
});

test('missing, malformed and non-Bearer credentials are 401 invalid_token', async () => {
  await expect401(undefined, /required/);
  const res = await get(productUrl, { authorization: 'Basic dXNlcjpwYXNz' });
  assert.equal(res.status, 401);
  await expect401('not-a-jwt', /malformed/);
});

test('expired and not-yet-valid tokens are refused; small clock skew is tolerated', async () => {
  await expect401(await h.issuer.sign({}, { expiresIn: -60 }), /expired/);
  const now = Math.floor(Date.now() / 1000);
  await expect401(await h.issuer.sign({}, { notBefore: now + 120 }), /not valid yet/);
  assert.equal(
    (await get(productUrl, bearer(await h.issuer.sign({}, { notBefore: now + 2 })))).status,
    200,
    'nbf within leeway',
  );
});

test('wrong issuer or audience is refused', async () => {
  await expect401(await h.issuer.sign({ iss: 'http://evil.example' }), /issuer/);
  await expect401(await h.issuer.sign({ aud: 'someone-else' }), /audience/);
  await expect401(await h.issuer.sign({}, { typ: 'JWT' }), /not an access token/);
});

test('a token without the collection scope gets 403 insufficient_scope', async () => {
  const res = await get(productUrl, bearer(await h.issuer.sign({ scope: 'orders:read' })));
  assert.equal(res.status, 403);
  assert.equal(res.json.error, 'insufficient_scope');
  assert.match(res.headers['www-authenticate'] as string, /error="insufficient_scope", scope="catalog:read"/);
});

test('alg none and HS256 signed with the public key are refused', async () => {
  const good = await h.issuer.sign();
  const [, payload] = parts(good);
  const kid = h.issuer.keys[0]!.kid;
  await expect401(`${encode({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.`, /malformed/);
  await expect401(`${encode({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.c2ln`, /EdDSA/);
  const publicKeyBytes = base64url.decode(h.issuer.keys[0]!.publicJwk.x!);
  for (const secret of [
    publicKeyBytes,
    new TextEncoder().encode(JSON.stringify(h.issuer.keys[0]!.publicJwk)),
  ]) {
    const forged = await new SignJWT({ scope: 'catalog:read', sid: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' })
      .setIssuer(h.issuer.url)
      .setAudience('tandem')
      .setSubject('1')
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(secret);
    await expect401(forged, /EdDSA/);
  }
});

test('a tampered payload fails the signature check', async () => {
  const [header, payload, signature] = parts(await h.issuer.sign({ scope: 'nothing' }));
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
  const tampered = `${header}.${encode({ ...claims, scope: 'catalog:read' })}.${signature}`;
  await expect401(tampered, /signature/);
});

test('unknown kids are refused and refetch the JWKS at a bounded rate', async () => {
  const stranger = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const fetchesBefore = h.issuer.jwksRequests;
  const started = Date.now();
  const forged = await Promise.all(
    Array.from({ length: 30 }, () =>
      new SignJWT({ scope: 'catalog:read', sid: randomUUID() })
        .setProtectedHeader({ alg: 'EdDSA', kid: randomUUID(), typ: 'at+jwt' })
        .setIssuer(h.issuer.url)
        .setAudience('tandem')
        .setSubject('1')
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(stranger.privateKey),
    ),
  );
  for (const token of forged) await expect401(token, /unknown key/);
  const elapsedSeconds = (Date.now() - started) / 1000;
  const fetches = h.issuer.jwksRequests - fetchesBefore;
  // At most one fetch per JWKS_REFETCH_MIN_SECONDS (1 s here), however many unknown kids arrive.
  assert.ok(
    fetches <= 1 + Math.ceil(elapsedSeconds),
    `${fetches} JWKS fetches for 30 unknown kids in ${elapsedSeconds}s`,
  );
  assert.ok(h.fast.jwks.stats.refused > 0);
});

test('key rotation: a key published later is picked up without a restart', async () => {
  const next = await h.issuer.addKey();
  const token = await h.issuer.sign({}, { key: next });
  // The previous test may have left the refetch bound closed: those tries are refused (401) until the
  // next unknown-kid refetch is allowed and fetches the new key.
  await eventually(
    'a token signed with the newly published key is accepted',
    async () => (await get(productUrl, bearer(token))).status === 200,
  );
  // The issuer retires the first key: once the JWKS is refetched, new tokens signed with it fail.
  const retired = h.issuer.keys.shift()!;
  await h.fast.jwks.refresh(true); // forced: not subject to the refetch bound
  await expect401(await h.issuer.sign({}, { key: retired }), /unknown key/);
});

test('a revoked session stops its tokens before exp', async () => {
  const sid = randomUUID();
  await h.sql(`insert into users (email, password_hash) values ('revoke@example.com', 'x')`);
  const [user] = await h.sql(`select id from users where email = 'revoke@example.com'`);
  await h.sql(`insert into sessions (id, user_id, grant_type, expires_at) values (?, ?, 'password', ?)`, [
    sid,
    user.id,
    new Date(Date.now() + 86_400_000).toISOString(),
  ]);
  const token = await h.issuer.sign({ sid });
  assert.equal((await get(productUrl, bearer(token))).status, 200);
  await h.sql(`update sessions set revoked_at = ? where id = ?`, [new Date().toISOString(), sid]);
  // The README promises refusal within a second of the commit. The wait gives up at twice that: the
  // second second is margin for a loaded runner (a commit, a feed read, one HTTP round trip per try),
  // not room for a slower propagation path such as a periodic snapshot reload.
  await eventually(
    'revocation reaches the fast service within the promised second (plus margin)',
    async () => (await get(productUrl, bearer(token))).status === 401,
    REVOCATION_DEADLINE_MS,
  );
  await expect401(token, /revoked/);
});

test('the auth service being down does not stop verification with known keys', async () => {
  await h.issuer.stop();
  try {
    const fresh = await h.issuer.sign();
    assert.equal((await get(productUrl, bearer(fresh))).status, 200);
    await h.fast.jwks.refresh(true); // forced, so not rate-bounded; fails: keys are kept
    assert.ok(h.fast.jwks.lastError);
    assert.equal((await get(productUrl, bearer(await h.issuer.sign()))).status, 200);
  } finally {
    await h.issuer.restart();
  }
});

test('a signature re-spelled in its padding bits is refused and takes no cache slot', async () => {
  const token = await h.issuer.sign();
  const [header, payload, signature] = parts(token);
  // An Ed25519 signature is 64 bytes: 86 base64url characters, the last one carrying 4 unused bits.
  assert.equal(signature.length % 4, 2);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(signature.at(-1)!);
  const respelled = `${header}.${payload}.${signature.slice(0, -1)}${alphabet[last ^ 0b0001]}`;
  assert.deepEqual(base64url.decode(parts(respelled)[2]), base64url.decode(signature), 'same bytes');
  const entries = h.fast.verifier.cache.size;
  await expect401(respelled, /malformed/);
  assert.equal(h.fast.verifier.cache.size, entries, 'the refused spelling took no cache slot');
  assert.equal((await get(productUrl, bearer(token))).status, 200, 'the canonical spelling still works');
});
