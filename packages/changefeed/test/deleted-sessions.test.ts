/**
 * A deleted session (a deleted user's sessions go by FK cascade) has no row left saying it is revoked.
 * A node that (re)loads its snapshot must still refuse its access tokens: the snapshot lists the
 * sessions whose deletion is in the outbox within the window an access token can live, on both
 * databases and on a FEED=redis replica (which loads its snapshot from the database).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { MAX_ACCESS_TOKEN_TTL_SECONDS, MAX_TOKEN_LEEWAY_SECONDS } from '@tandem/config';
import { openFeedSource, type FeedSource, type SessionState } from '../src/index.js';
import { projectionsFor, REDIS_SKIP, REDIS_URL, uniqueStreamKey } from './redis-support.js';

let db: MigratedTestDatabase;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw rows in a test
const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
  db.orm.em.getConnection().execute(query, params);

const WINDOW_MS = (MAX_ACCESS_TOKEN_TTL_SECONDS + MAX_TOKEN_LEEWAY_SECONDS) * 1000;

before(async () => {
  db = await createMigratedDatabase();
});
after(() => db?.close());

/** A user with one live session; returns both ids. */
async function userWithSession(email: string): Promise<{ userId: number; sid: string }> {
  await sql(`insert into users (email, password_hash) values (?, 'x')`, [email]);
  const [{ id: userId }] = await sql(`select id from users where email = ?`, [email]);
  const sid = randomUUID();
  await sql(`insert into sessions (id, user_id, grant_type, expires_at) values (?, ?, 'password', ?)`, [
    sid,
    userId,
    new Date(Date.now() + 30 * 86400_000).toISOString(),
  ]);
  return { userId: Number(userId), sid };
}

async function snapshotSessions(source: FeedSource): Promise<Map<string, SessionState>> {
  await source.connect(
    () => undefined,
    () => undefined,
  );
  try {
    return await source.snapshot(
      async (snapshot) => new Map(snapshot.revokedSessions.map((s) => [s.sid, s])),
    );
  } finally {
    await source.close();
  }
}

test(`a session deleted with its user is revoked in a new snapshot (${testDialect()})`, async () => {
  const { userId, sid } = await userWithSession('deleted@example.com');
  const kept = await userWithSession('kept@example.com');
  const before = Date.now();
  await sql(`delete from users where id = ?`, [userId]);
  const [{ n }] = await sql(`select count(*) as n from sessions where id = ?`, [sid]);
  assert.equal(Number(n), 0, 'the session went with its user (FK cascade)');

  const sessions = await snapshotSessions(openFeedSource(db.target, projectionsFor(db)));
  const state = sessions.get(sid);
  assert.ok(state, 'the deleted session is in the snapshot');
  assert.equal(state.revoked, true);
  // Kept until its last possible access token has expired, counted from the deletion, not from the read.
  assert.ok(state.keepUntilMs >= before - 1000 + WINDOW_MS, `kept until ${state.keepUntilMs}`);
  assert.ok(state.keepUntilMs <= Date.now() + 1000 + WINDOW_MS, `kept until ${state.keepUntilMs}`);
  assert.equal(sessions.has(kept.sid), false, 'a live session is not revoked');
});

test('a deletion older than any access token is not carried into snapshots', async () => {
  const { sid } = await userWithSession('long-gone@example.com');
  await sql(`delete from sessions where id = ?`, [sid]);
  const old = new Date(Date.now() - WINDOW_MS - 60_000);
  await sql(
    testDialect() === 'postgresql'
      ? `update change_event set created_at = ? where table_name = 'sessions' and record_id = ?`
      : `update change_event set created_at = strftime('%Y-%m-%d %H:%M:%f', ? / 1000.0, 'unixepoch') where table_name = 'sessions' and record_id = ?`,
    [testDialect() === 'postgresql' ? old.toISOString() : old.getTime(), sid],
  );
  const sessions = await snapshotSessions(openFeedSource(db.target, projectionsFor(db)));
  assert.equal(sessions.has(sid), false);
});

test(
  'a FEED=redis replica loads the same deleted sessions from the database',
  { skip: REDIS_SKIP },
  async () => {
    const { userId, sid } = await userWithSession('replica@example.com');
    await sql(`delete from users where id = ?`, [userId]);
    const source = openFeedSource(db.target, projectionsFor(db), {
      source: 'redis',
      redis: { url: REDIS_URL!, streamKey: uniqueStreamKey(), streamMaxLen: 1000 },
    });
    assert.equal(source.dialect, 'redis');
    const sessions = await snapshotSessions(source);
    assert.equal(sessions.get(sid)?.revoked, true);
  },
);
