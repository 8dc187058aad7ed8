import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { AccessTokenVerifier, RemoteJwks, TokenCache, TokenVerificationError } from '../src/index.js';
import { hasCanonicalSegments } from '../src/verify/canonical-base64url.js';
import { eventually, freePort } from '@tandem/models/testing';

/** A real issuer over loopback HTTP: discovery document + JWKS, with request counters. */
let server: Server;
let issuer: string;
const keys: { kid: string; privateKey: CryptoKey; jwk: JWK }[] = [];
let extraJwks: JWK[] = [];
let counts = { discovery: 0, jwks: 0 };
let advertisedIssuer: string | undefined;

/** A signing key the shared issuer does not publish (the test decides where it is published). */
async function unlistedKey() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'EdDSA' } };
}

async function newKey() {
  const key = await unlistedKey();
  keys.push(key);
  return key;
}

const sign = (key = keys[0]!, claims: Record<string, unknown> = {}, exp = '10m') =>
  new SignJWT({ scope: 'catalog:read orders:read', sid: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience('tandem')
    .setSubject('42')
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key.privateKey);

before(async () => {
  await newKey();
  server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      counts.discovery += 1;
      res.end(JSON.stringify({ issuer: advertisedIssuer ?? issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === '/jwks') {
      counts.jwks += 1;
      res.end(JSON.stringify({ keys: [...keys.map((k) => k.jwk), ...extraJwks] }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('keys come from the jwks_uri of the discovery document; non-Ed25519 and private keys are ignored', async () => {
  counts = { discovery: 0, jwks: 0 };
  extraJwks = [
    { kty: 'RSA', kid: 'rsa', n: 'x', e: 'AQAB' },
    { kty: 'OKP', crv: 'X25519', kid: 'x25519', x: keys[0]!.jwk.x! },
    { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' },
    { ...keys[0]!.jwk, kid: 'with-private-part', d: 'AAAA' },
  ];
  const jwks = new RemoteJwks({ issuer, minRefetchIntervalMs: 1000 });
  await jwks.refresh(true);
  assert.equal(jwks.lastError, undefined);
  assert.equal(jwks.size, 1);
  assert.deepEqual(counts, { discovery: 1, jwks: 1 });
  extraJwks = [];
});

test('JWKS_URL skips discovery; a discovery naming another issuer is refused', async () => {
  counts = { discovery: 0, jwks: 0 };
  const direct = new RemoteJwks({ issuer, jwksUrl: `${issuer}/jwks`, minRefetchIntervalMs: 1000 });
  await direct.refresh(true);
  assert.equal(direct.size, 1);
  assert.equal(counts.discovery, 0);
  advertisedIssuer = 'http://evil.example';
  const misled = new RemoteJwks({ issuer, minRefetchIntervalMs: 1000 });
  await misled.refresh(true);
  assert.equal(misled.size, 0);
  assert.match(misled.lastError!, /names issuer/);
  advertisedIssuer = undefined;
});

test('unknown kids refetch at most once per interval (clock injected), concurrent callers share a fetch', async () => {
  let now = 1_000_000;
  const jwks = new RemoteJwks({
    issuer,
    jwksUrl: `${issuer}/jwks`,
    minRefetchIntervalMs: 10_000,
    now: () => now,
  });
  await jwks.refresh(true);
  counts = { discovery: 0, jwks: 0 };
  const unknown = await Promise.all(Array.from({ length: 50 }, () => jwks.getKey(randomUUID())));
  assert.ok(unknown.every((k) => k === undefined));
  assert.equal(counts.jwks, 0, 'the start-up fetch was just now: every refetch refused');
  assert.equal(jwks.stats.refused, 50);
  now += 10_001;
  await Promise.all(Array.from({ length: 50 }, () => jwks.getKey(randomUUID())));
  assert.equal(counts.jwks, 1, 'one fetch after the interval, shared');
  const rotated = await newKey();
  now += 10_001;
  assert.ok(await jwks.getKey(rotated.kid), 'a newly published key is found by the refetch');
});

test('the verifier checks claims and caches until exp; failures keep known keys', async () => {
  let now = Date.now();
  const jwks = new RemoteJwks({ issuer, jwksUrl: `${issuer}/jwks`, minRefetchIntervalMs: 1000 });
  const verifier = new AccessTokenVerifier({
    jwks,
    issuer,
    audience: 'tandem',
    leewaySeconds: 5,
    cacheSize: 2,
    now: () => now,
  });
  const token = await sign();
  const verified = await verifier.verify(token);
  assert.equal(verified.sub, '42');
  assert.deepEqual([...verified.scopes], ['catalog:read', 'orders:read']);
  // The mask answers like the Set, for a scope that got its bit before or after the token was verified.
  for (const scope of ['catalog:read', 'orders:read', 'orders:write', 'catalog:rea', 'admin'])
    assert.equal(
      AccessTokenVerifier.grants(verified, scope, AccessTokenVerifier.scopeBit(scope)),
      verified.scopes.has(scope),
      scope,
    );
  assert.equal(verifier.cached(token), verified);
  assert.equal(verifier.cachedBearer(`Bearer ${token}`), verified);
  // A request that acts later (a write whose body arrives slowly) asks again: within exp + leeway only.
  now = verified.expiresAtMs + 4999;
  assert.equal(verifier.unexpired(verified), true);
  now = verified.expiresAtMs + 5000;
  assert.equal(verifier.unexpired(verified), false);
  now = verified.expiresAtMs + 6000;
  assert.equal(verifier.cached(token), undefined, 'no cache hit past exp + leeway');
  now = Date.now();
  await assert.rejects(verifier.verify(await sign(keys[0], { sid: undefined })), TokenVerificationError);
  await assert.rejects(verifier.verify(await sign(keys[0], {}, '-1m')), /expired/);
  assert.throws(
    () => new AccessTokenVerifier({ jwks, issuer, audience: 'a', leewaySeconds: 31, cacheSize: 1 }),
    RangeError,
  );
});

test('the token cache is a bounded (approximate) LRU', () => {
  const cache = new TokenCache<{ expiresAtMs: number }>(4, 0);
  for (const key of ['a', 'b', 'c', 'd']) cache.set(key, { expiresAtMs: 10 }, 'k');
  assert.ok(cache.get('a', 0)); // a was in the older half: it becomes the most recent
  cache.set('e', { expiresAtMs: 10 }, 'k');
  assert.equal(cache.size, 4);
  assert.equal(cache.get('b', 0), undefined, 'the least recently used entry was evicted');
  assert.ok(cache.get('a', 0));
  assert.equal(cache.get('a', 10), undefined, 'expired entries are dropped');
});

test('the token cache answers only for the exact token, even when two share the keyed tail', () => {
  const cache = new TokenCache<{ expiresAtMs: number; who: string }>(4, 0);
  const tail = 'x'.repeat(8);
  const alice = `header.alice-claims.${tail}`;
  const mallory = `header.mallory-claims.${tail}`;
  cache.set(alice, { expiresAtMs: 10, who: 'alice' }, 'k');
  assert.equal(cache.get(mallory, 0), undefined, 'same tail, different token: a miss');
  assert.equal(cache.peek(mallory, 0), undefined);
  assert.equal(cache.get(alice, 0)?.who, 'alice');
  cache.set(mallory, { expiresAtMs: 10, who: 'mallory' }, 'k');
  assert.equal(cache.get(alice, 0), undefined, 'the slot now holds the other token; alice is re-verified');
  assert.equal(cache.get(mallory, 0)?.who, 'mallory');
});

test('scope bits run out after 30 names; then the Set answers, never a wrong grant', () => {
  const names = Array.from({ length: 40 }, (_, i) => `bits-test:${i}`);
  const bits = names.map((name) => AccessTokenVerifier.scopeBit(name));
  assert.equal(bits.at(-1), 0, 'no bit left for the 40th name');
  assert.equal(new Set(bits.filter((bit) => bit !== 0)).size, bits.filter((bit) => bit !== 0).length);
  const token = {
    sub: 's',
    sid: 'x',
    jti: 'j',
    scopes: new Set([names[39]!]),
    scopeMask: 0,
    expiresAtMs: 0,
    rowClaims: {},
  };
  assert.equal(AccessTokenVerifier.grants(token, names[39]!, bits[39]!), true, 'bitless scope: the Set');
  assert.equal(AccessTokenVerifier.grants(token, names[38]!, bits[38]!), false);
  assert.equal(AccessTokenVerifier.grants(token, names[0]!, bits[0]!), false);
});

test('the token cache finds a token by its whole Authorization header, and only that exact header', () => {
  const cache = new TokenCache<{ expiresAtMs: number; who: string }>(4, 0);
  const tail = 'x'.repeat(8);
  const alice = `header.alice-claims.${tail}`;
  const mallory = `header.mallory-claims.${tail}`;
  cache.set(alice, { expiresAtMs: 10, who: 'alice' }, 'k');
  assert.equal(cache.getByHeader(`Bearer ${alice}`, 0)?.who, 'alice');
  assert.equal(cache.getByHeader(`Bearer ${mallory}`, 0), undefined, 'same tail, different token: a miss');
  assert.equal(cache.getByHeader(`Bearer  ${alice}`, 0), undefined, 'another spelling is not this header');
  assert.equal(cache.getByHeader(`Basic ${alice}`, 0), undefined);
  assert.equal(cache.getByHeader(alice, 0), undefined, 'the bare token is not a header');
  assert.equal(cache.getByHeader(`Bearer ${alice}`, 10), undefined, 'expired: dropped');
  assert.equal(cache.get(alice, 0), undefined);
});

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The segment with its last character's unused (padding) bits flipped: the same bytes, another string. */
function withPaddingBitsSet(segment: string): string {
  const unusedBits = { 2: 4, 3: 2 }[(segment.length % 4) as 2 | 3];
  assert.ok(unusedBits, `segment length ${segment.length} leaves no padding bits`);
  const last = BASE64URL.indexOf(segment.at(-1)!);
  return segment.slice(0, -1) + BASE64URL[last | ((1 << unusedBits) - 1)]!;
}

test('non-canonical base64url (padding bits set) is refused in every segment and never cached', async () => {
  const jwks = new RemoteJwks({ issuer, jwksUrl: `${issuer}/jwks`, minRefetchIntervalMs: 1000 });
  const verifier = new AccessTokenVerifier({
    jwks,
    issuer,
    audience: 'tandem',
    leewaySeconds: 5,
    cacheSize: 8,
  });
  // Header and claims padded so that every segment's length leaves padding bits in its last character.
  const hasPaddingBits = (s: string) => s.length % 4 === 2 || s.length % 4 === 3;
  let token = '';
  search: for (let h = 0; h < 4; h++) {
    for (let c = 0; c < 4; c++) {
      token = await new SignJWT({ scope: 'catalog:read', sid: randomUUID(), pad: 'x'.repeat(c) })
        .setProtectedHeader({ alg: 'EdDSA', kid: keys[0]!.kid, typ: 'at+jwt', pad: 'x'.repeat(h) })
        .setIssuer(issuer)
        .setAudience('tandem')
        .setSubject('42')
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(keys[0]!.privateKey);
      if (token.split('.').every(hasPaddingBits)) break search;
    }
  }
  const segments = token.split('.');
  assert.ok(
    segments.every((s) => s.length % 4 === 2 || s.length % 4 === 3),
    'a token with padding bits',
  );
  // The signature first: it is the one an attacker can vary freely (the signature covers the other two
  // segments' text, so their variants fail the signature check anyway; refusing them early is cheaper).
  for (const i of [2, 0, 1]) {
    const variant = [...segments];
    variant[i] = withPaddingBitsSet(variant[i]!);
    const forged = variant.join('.');
    assert.notEqual(forged, token);
    await assert.rejects(verifier.verify(forged), /malformed/, `segment ${i}`);
  }
  for (const bad of [`${token}=`, `${segments[0]}=.${segments[1]}.${segments[2]}`, `${token.slice(0, -1)}+`])
    await assert.rejects(verifier.verify(bad), /malformed/, bad.slice(-3));
  assert.equal(verifier.cache.size, 0, 'no refused variant took a cache slot');
  assert.ok(await verifier.verify(token), 'the canonical token itself verifies');
  assert.equal(verifier.cache.size, 1);
});

test('the canonical base64url check agrees with a decode/encode round trip for every last character', () => {
  for (const body of ['', 'AAAA', 'zz_-', 'AA', 'AAA', 'A']) {
    for (const last of BASE64URL) {
      const segment = `${body}${last}`;
      const canonical = Buffer.from(segment, 'base64url').toString('base64url') === segment;
      const token = `${segment}.${segment}.${segment}`;
      assert.equal(hasCanonicalSegments(token), canonical, segment);
    }
  }
});

/** A JWKS server on `port`, started only when the test says so (the issuer coming up late). */
async function jwksServerOn(port: number): Promise<Server> {
  const late = createServer((req, res) => {
    res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
  return late;
}
const closeServer = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

test('after a failed fetch, an unknown kid refetches at once: the success rate bound does not apply', async () => {
  const port = await freePort(); // nothing listens there yet: the issuer is down
  let now = 1_000_000;
  const jwks = new RemoteJwks({
    issuer: `http://127.0.0.1:${port}`,
    jwksUrl: `http://127.0.0.1:${port}/jwks`,
    minRefetchIntervalMs: 60_000,
    retryInitialMs: 500,
    now: () => now,
  });
  jwks.stop(); // no background retry: this test is about the refetch a token triggers
  await jwks.refresh(true);
  assert.ok(jwks.lastError, 'the first fetch failed');
  assert.equal(jwks.size, 0);
  const late = await jwksServerOn(port);
  try {
    now += 500; // far within the 60 s bound that follows a successful fetch
    assert.ok(await jwks.getKey(keys[0]!.kid), 'the token that arrives once the issuer is up is verified');
    assert.equal(jwks.lastError, undefined);
    // Once a fetch succeeded, the rate bound is back: unknown kids no longer refetch for 60 s.
    const fetches = jwks.stats.fetches;
    now += 1000;
    assert.equal(await jwks.getKey(randomUUID()), undefined);
    assert.equal(jwks.stats.fetches, fetches);
  } finally {
    await closeServer(late);
  }
});

test('after a failed fetch, the keys are fetched again in the background until the issuer answers', async () => {
  const port = await freePort();
  const jwks = new RemoteJwks({
    issuer: `http://127.0.0.1:${port}`,
    jwksUrl: `http://127.0.0.1:${port}/jwks`,
    minRefetchIntervalMs: 400,
    retryInitialMs: 20,
  });
  await jwks.refresh(true);
  assert.ok(jwks.lastError);
  await eventually('background retries while the issuer is down', () => jwks.stats.failures >= 3);
  const late = await jwksServerOn(port);
  try {
    // Nobody asks for a key: the retry alone loads the set.
    await eventually('keys loaded by a background retry', () => jwks.size > 0);
    assert.equal(jwks.lastError, undefined);
  } finally {
    jwks.stop();
    await closeServer(late);
  }
});

/** A JWKS endpoint of its own serving `published()` (503 while it returns undefined: the issuer down). */
async function jwksServing(
  published: () => JWK[] | undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  const own = createServer((req, res) => {
    const keys = published();
    res.statusCode = keys === undefined ? 503 : 200;
    res.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(own.address() as AddressInfo).port}/jwks`,
    close: () => closeServer(own),
  };
}

const refused = (verifier: AccessTokenVerifier, token: string) =>
  verifier.verify(token).then(
    () => false,
    (error: unknown) => error instanceof TokenVerificationError && /unknown key/.test(error.message),
  );

test('a key the issuer stops publishing is refused after the periodic refresh, its cached tokens too', async () => {
  const [a, b] = [await unlistedKey(), await unlistedKey()];
  let published = [a.jwk, b.jwk];
  const endpoint = await jwksServing(() => published);
  const jwks = new RemoteJwks({
    issuer,
    jwksUrl: endpoint.url,
    minRefetchIntervalMs: 60_000, // no unknown-kid refetch comes to the rescue: only the periodic one
    refreshIntervalMs: 100,
  });
  const verifier = new AccessTokenVerifier({
    jwks,
    issuer,
    audience: 'tandem',
    leewaySeconds: 5,
    cacheSize: 100,
  });
  try {
    await jwks.refresh(true);
    const cachedOfA = await sign(a);
    const cachedOfB = await sign(b);
    await verifier.verify(cachedOfA);
    await verifier.verify(cachedOfB);
    assert.ok(verifier.cachedBearer(`Bearer ${cachedOfA}`));
    // A is retired (or dropped after a leak of its private half). Nothing asks for an unknown kid.
    published = [b.jwk];
    const removedAt = Date.now();
    await eventually(
      'a new token signed with A is refused',
      () => sign(a).then((t) => refused(verifier, t)),
      2000,
    );
    assert.ok(Date.now() - removedAt < 1500, 'within a few refresh intervals');
    assert.equal(verifier.cachedBearer(`Bearer ${cachedOfA}`), undefined, "A's cached token left the cache");
    assert.equal(verifier.cached(cachedOfA), undefined);
    assert.ok(await refused(verifier, cachedOfA), "A's cached token is refused");
    assert.ok(verifier.cachedBearer(`Bearer ${cachedOfB}`), "B's cached token stays cached");
    assert.equal((await verifier.verify(await sign(b))).sub, '42', 'a new token of B verifies');
  } finally {
    jwks.stop();
    await endpoint.close();
  }
  const fetches = jwks.stats.fetches;
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(jwks.stats.fetches, fetches, 'stop() ends the periodic refresh');
});

test('a failed periodic refresh keeps the keys held, and is retried until the issuer answers', async () => {
  const a = await unlistedKey();
  let published: JWK[] | undefined = [a.jwk];
  const endpoint = await jwksServing(() => published);
  const jwks = new RemoteJwks({
    issuer,
    jwksUrl: endpoint.url,
    minRefetchIntervalMs: 60_000,
    retryInitialMs: 50,
    refreshIntervalMs: 100,
  });
  const verifier = new AccessTokenVerifier({
    jwks,
    issuer,
    audience: 'tandem',
    leewaySeconds: 5,
    cacheSize: 100,
  });
  try {
    await jwks.refresh(true);
    const cached = await sign(a);
    await verifier.verify(cached);
    published = undefined; // the auth service answers 503
    const failures = jwks.stats.failures;
    await eventually('periodic refreshes fail', () => jwks.stats.failures >= failures + 2, 2000);
    assert.match(jwks.lastError!, /503/);
    assert.ok(verifier.cachedBearer(`Bearer ${cached}`), 'the cached token still answers');
    assert.equal((await verifier.verify(await sign(a))).sub, '42', 'a new token of a held key verifies');
    published = [a.jwk];
    await eventually('a retry succeeds once the issuer answers', () => jwks.lastError === undefined, 2000);
    assert.ok(jwks.holds(a.kid));
  } finally {
    jwks.stop();
    await endpoint.close();
  }
});
