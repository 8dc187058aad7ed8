/**
 * Deleting a user deletes their sessions (FK cascade, same transaction). A fast node that is running
 * sees the session deletion on the change feed and refuses the user's access token; a fast node that
 * starts afterwards (a restart, a new replica) must refuse it too, although no session row is left to
 * say it was revoked. Before the fix the new node's snapshot held only sessions with revoked_at set, so
 * the deleted user's token, still within its TTL, was accepted again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createLogger } from '@tandem/log';
import { testDialect } from '@tandem/models/testing';
import { startFast, type FastServer } from '../src/server.js';
import { eventually, seedCatalog, startHarness, type Harness } from './support/fast.js';
import { bearer, get } from './support/http.js';

let h: Harness;
let productPath: string;

before(async () => {
  h = await startHarness({}, (db) => seedCatalog(db, 1));
  const [row] = await h.sql(
    `select min(id) as id from products where published = ${testDialect() === 'postgresql' ? 'true' : '1'}`,
  );
  productPath = `/v1/products/${row.id}`;
});
after(() => h?.close());

test(`a deleted user's token stays refused by a fast node started after the deletion (${testDialect()})`, async () => {
  // A user with a login session, and an access token of that session (what auth's password grant makes).
  await h.sql(`insert into users (email, password_hash) values ('leaving@example.com', 'x')`);
  const [{ id: userId }] = await h.sql(`select id from users where email = 'leaving@example.com'`);
  const sid = randomUUID();
  await h.sql(`insert into sessions (id, user_id, grant_type, expires_at) values (?, ?, 'password', ?)`, [
    sid,
    userId,
    new Date(Date.now() + 30 * 86400_000).toISOString(),
  ]);
  const token = await h.issuer.sign({ sub: `user:${userId}`, sid }, { expiresIn: 600 });
  assert.equal(
    (await get(`${h.fast.url}${productPath}`, bearer(token))).status,
    200,
    'accepted while the user exists',
  );

  await h.sql(`delete from users where id = ?`, [userId]);
  const [{ n }] = await h.sql(`select count(*) as n from sessions where id = ?`, [sid]);
  assert.equal(Number(n), 0, 'the session went with the user');
  await eventually(
    'the running node refuses the token (change feed)',
    async () => (await get(`${h.fast.url}${productPath}`, bearer(token))).status === 401,
  );

  // A new fast process on the same database: it learns everything from its snapshot.
  let restarted: FastServer | undefined;
  try {
    restarted = await startFast({ config: h.config, orm: h.db.orm, logger: createLogger('fast', 'silent') });
    await restarted.ready;
    const node = restarted;
    await eventually('the new node holds signing keys', () => node.jwks.size > 0);
    const res = await get(`${restarted.url}${productPath}`, bearer(token));
    assert.equal(res.status, 401, `the deleted user's token must be refused, got ${res.status} ${res.text}`);
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
