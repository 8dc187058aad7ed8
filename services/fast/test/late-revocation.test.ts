/**
 * A session revoked just before its absolute end: its access token, issued before the revocation, is
 * still within its own TTL after the session's expires_at has passed. The revocation must outlive
 * expires_at (until min(expires_at, revoked_at) + longest TTL + leeway + a minute): the running node keeps
 * refusing the token, and so does a node started after expires_at, which knows only its snapshot.
 * Before the fix the snapshot held revoked sessions only while expires_at was in the future, so the
 * new node accepted the token again. Short session lifetime (two seconds), real tokens and database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@tandem/log';
import { testDialect } from '@tandem/models/testing';
import { startFast, type FastServer } from '../src/server.js';
import { eventually, seedCatalog, startHarness, type Harness } from './support/fast.js';
import { bearer, get } from './support/http.js';

let h: Harness;
let productPath: string;
const at = (date: Date) => (testDialect() === 'postgresql' ? date.toISOString() : date.getTime());

before(async () => {
  h = await startHarness({}, (db) => seedCatalog(db, 1));
  const [row] = await h.sql(
    `select min(id) as id from products where published = ${testDialect() === 'postgresql' ? 'true' : '1'}`,
  );
  productPath = `/v1/products/${row.id}`;
});
after(() => h?.close());

test(`a token of a session revoked just before its end stays refused after expires_at (${testDialect()})`, async () => {
  await h.sql(`insert into users (email, password_hash) values ('late@example.com', 'x')`);
  const [{ id: userId }] = await h.sql(`select id from users where email = 'late@example.com'`);
  const sid = randomUUID();
  const expiresAt = new Date(Date.now() + 2000);
  await h.sql(`insert into sessions (id, user_id, grant_type, expires_at) values (?, ?, 'password', ?)`, [
    sid,
    userId,
    at(expiresAt),
  ]);
  // Issued while the session is live; valid for ten minutes, far past the session's end.
  const token = await h.issuer.sign({ sub: `user:${userId}`, sid }, { expiresIn: 600 });
  assert.equal((await get(`${h.fast.url}${productPath}`, bearer(token))).status, 200, 'accepted while live');

  await h.sql(`update sessions set revoked_at = ?, revoked_reason = 'revoked' where id = ?`, [
    at(new Date()),
    sid,
  ]);
  await eventually(
    'the running node refuses the token (change feed)',
    async () => (await get(`${h.fast.url}${productPath}`, bearer(token))).status === 401,
  );

  await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 500);
  assert.equal(
    (await get(`${h.fast.url}${productPath}`, bearer(token))).status,
    401,
    'still refused by the running node after expires_at',
  );

  // A node started after expires_at learns of the revocation from its snapshot alone.
  let restarted: FastServer | undefined;
  try {
    restarted = await startFast({ config: h.config, orm: h.db.orm, logger: createLogger('fast', 'silent') });
    await restarted.ready;
    const node = restarted;
    await eventually('the new node holds signing keys', () => node.jwks.size > 0);
    const res = await get(`${restarted.url}${productPath}`, bearer(token));
    assert.equal(
      res.status,
      401,
      `the late-revoked session's token must be refused, got ${res.status} ${res.text}`,
    );
    assert.equal(res.json.error, 'invalid_token');
    assert.match(res.json.message, /revoked/);
    const other = await h.issuer.sign();
    assert.equal(
      (await get(`${restarted.url}${productPath}`, bearer(other))).status,
      200,
      'others still read',
    );
  } finally {
    await restarted?.close();
  }
});
