/**
 * The purge of ended sessions (run by the auth service's maintenance round): sessions that ended
 * (absolute expiry or idle lifetime) longer ago than the kept margin go with their refresh tokens, in
 * bounded batches; a live session, one that ended within the margin, a revoked one not yet ended and
 * one revoked within the margin (the feed still remembers the revocation) stay; the change feed gets
 * a delete event for each deleted session. Real auth service and database (SQLite, or PostgreSQL
 * with DATABASE_URL).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ACCESS_TOKEN_TTL_SECONDS, MAX_TOKEN_LEEWAY_SECONDS } from '@tandem/config';
import { RefreshToken, Session } from '@tandem/models';
import { endedSessionKeepSeconds, purgeEndedSessions } from '@tandem/tokens';
import { createRole, createUser, jwtPayload, postForm, startTestAuth, type TestAuth } from './support.js';

const EMAIL = 'sessions@example.com';
const PASSWORD = 'correct horse battery staple';
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

describe('purge of ended sessions', () => {
  let auth: TestAuth;
  let keep: number;
  let idle: number;

  before(async () => {
    // No timed maintenance round during the file: the last test runs one itself.
    auth = await startTestAuth({ SIGNING_KEY_REFRESH_SECONDS: '3600' });
    await createRole(auth, 'reader', ['catalog:read']);
    await createUser(auth, EMAIL, PASSWORD, ['reader']);
    keep = endedSessionKeepSeconds(auth.config.feed.retentionSeconds);
    idle = auth.config.tokens.sessionIdleTtlSeconds;
  });
  after(() => auth.close());

  /** A password-grant session: its sid and its current refresh token. */
  const login = async () => {
    const answer = await postForm(`${auth.url}/oauth/token`, {
      grant_type: 'password',
      username: EMAIL,
      password: PASSWORD,
    });
    assert.equal(answer.status, 200, answer.text);
    return {
      sid: String(jwtPayload(String(answer.body.access_token)).sid),
      refreshToken: String(answer.body.refresh_token),
    };
  };
  const refresh = (refreshToken: string) =>
    postForm(`${auth.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken });
  const set = (sid: string, fields: { expiresAt?: Date; lastUsedAt?: Date; revokedAt?: Date }) =>
    auth.db.orm.em.fork().nativeUpdate(Session, { id: sid }, fields);
  const exists = async (sid: string) => (await auth.db.orm.em.fork().count(Session, { id: sid })) === 1;
  const tokensOf = (sid: string) => auth.db.orm.em.fork().count(RefreshToken, { session: sid });
  const purge = (options: { batchSize?: number; maxBatches?: number } = {}) =>
    purgeEndedSessions(auth.db.orm.em, { idleTtlSeconds: idle, keepSeconds: keep, ...options });
  /** Drains whatever earlier tests left ended, so counts below are this test's own. */
  const drain = async () => {
    while ((await purge()).more);
  };

  it('keeps sessions for the change feed retention or the longest access token life, whichever is longer', () => {
    const tokenLife = MAX_ACCESS_TOKEN_TTL_SECONDS + MAX_TOKEN_LEEWAY_SECONDS;
    assert.equal(endedSessionKeepSeconds(60), tokenLife);
    assert.equal(endedSessionKeepSeconds(tokenLife + 1), tokenLife + 1);
    assert.ok(keep >= auth.config.tokens.accessTokenTtlSeconds + auth.config.fast.tokenLeewaySeconds);
    assert.ok(keep >= auth.config.feed.retentionSeconds);
  });

  it('deletes sessions ended longer ago than the margin with their refresh tokens; keeps every other', async () => {
    await drain();
    const live = await login();
    const rotated = await refresh(live.refreshToken);
    assert.equal(rotated.status, 200, rotated.text);

    const endedRecently = await login();
    await set(endedRecently.sid, { expiresAt: ago(keep - 120) });
    const endedLongAgo = await login();
    assert.equal((await refresh(endedLongAgo.refreshToken)).status, 200, 'two refresh tokens');
    await set(endedLongAgo.sid, { expiresAt: ago(keep + 120) });
    const idleRecently = await login();
    await set(idleRecently.sid, { lastUsedAt: ago(idle + keep - 120) });
    const idleLongAgo = await login();
    await set(idleLongAgo.sid, { lastUsedAt: ago(idle + keep + 120) });
    const revokedLive = await login();
    await set(revokedLive.sid, { revokedAt: new Date() });
    const revokedEnded = await login();
    await set(revokedEnded.sid, { revokedAt: ago(keep + 600), expiresAt: ago(keep + 120) });
    const doomed = [endedLongAgo, idleLongAgo, revokedEnded].map((session) => session.sid);
    assert.equal(await tokensOf(endedLongAgo.sid), 2);

    const purged = await purge();
    assert.deepEqual(purged, { sessions: 3, refreshTokens: 4, more: false });
    for (const sid of doomed) {
      assert.ok(!(await exists(sid)), `${sid} deleted`);
      assert.equal(await tokensOf(sid), 0, `${sid}: no refresh token left`);
    }
    for (const { sid } of [live, endedRecently, idleRecently, revokedLive])
      assert.ok(await exists(sid), `${sid} kept`);
    assert.equal(
      await tokensOf(live.sid),
      2,
      "a live session's spent tokens are kept (a replay still revokes)",
    );
    // The live session works as before: its newest token refreshes, its spent one is a replay.
    const next = await refresh(String(rotated.body.refresh_token));
    assert.equal(next.status, 200, next.text);

    // The change feed learns of each deletion (fast treats a deleted session as revoked).
    const events = await auth.db.orm.em
      .fork()
      .getConnection()
      .execute<{ record_id: string }[]>(
        `select record_id from change_event where table_name = 'sessions' and op = 'delete'`,
      );
    const deleted = new Set(events.map((event) => String(event.record_id)));
    for (const sid of doomed) assert.ok(deleted.has(sid), `a delete event for ${sid}`);

    // Idempotent: a second purge (or another auth instance's) finds nothing.
    assert.deepEqual(await purge(), { sessions: 0, refreshTokens: 0, more: false });
  });

  it('keeps an ended session revoked within the margin, as the fast service still remembers its revocation', async () => {
    await drain();
    // Ended long ago, revoked a minute ago (staff revoking an old session): the row stays until the
    // margin has passed since the revocation too (purge-ended.ts).
    const revokedLate = await login();
    await set(revokedLate.sid, { expiresAt: ago(keep + 120), revokedAt: ago(60) });
    // Revoked just before an end that is now longer ago than the margin: nothing needs it any more.
    const revokedAtEnd = await login();
    await set(revokedAtEnd.sid, { expiresAt: ago(keep + 120), revokedAt: ago(keep + 121) });
    assert.deepEqual(await purge(), { sessions: 1, refreshTokens: 1, more: false });
    assert.ok(await exists(revokedLate.sid), 'kept while its revocation is within the margin');
    assert.ok(!(await exists(revokedAtEnd.sid)));
  });

  it('works in bounded batches: the rest waits for the next call', async () => {
    await drain();
    const sids: string[] = [];
    for (let index = 0; index < 5; index++) {
      const { sid } = await login();
      await set(sid, { expiresAt: ago(keep + 60) });
      sids.push(sid);
    }
    const live = await login();
    const first = await purge({ batchSize: 2, maxBatches: 2 });
    assert.equal(first.sessions, 4);
    assert.equal(first.more, true);
    const second = await purge({ batchSize: 2, maxBatches: 2 });
    assert.deepEqual({ sessions: second.sessions, more: second.more }, { sessions: 1, more: false });
    for (const sid of sids) assert.ok(!(await exists(sid)));
    assert.ok(await exists(live.sid));
  });

  it('parallel purges (several auth instances) delete each session once and never a live one', async () => {
    await drain();
    const ended: string[] = [];
    for (let index = 0; index < 6; index++) {
      const { sid } = await login();
      await set(sid, { lastUsedAt: ago(idle + keep + 60) });
      ended.push(sid);
    }
    const live = await login();
    const results = await Promise.all(Array.from({ length: 4 }, () => purge({ batchSize: 2 })));
    assert.equal(
      results.reduce((sum, result) => sum + result.sessions, 0),
      6,
    );
    for (const sid of ended) assert.ok(!(await exists(sid)));
    assert.ok(await exists(live.sid));
    assert.equal((await refresh(live.refreshToken)).status, 200);
  });

  it("the service's maintenance round purges ended sessions", async () => {
    const { sid } = await login();
    await set(sid, { expiresAt: ago(keep + 60) });
    await auth.server.refreshKeys();
    assert.ok(!(await exists(sid)));
  });
});
