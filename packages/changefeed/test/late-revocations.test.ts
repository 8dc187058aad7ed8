/**
 * How long the feed has a node remember a revocation: from min(expires_at, revoked_at), when the
 * session stopped issuing tokens, for TTL + leeway (and a minute for a token signed as the revocation
 * committed). A session revoked shortly before its absolute end must not be dropped at expires_at; a
 * session revoked long before its end must not be kept until then (a client revoking its 30-day
 * sessions in a loop filled every node's memory). Checked on the tail (what a running node is told to
 * remember) and on snapshots (what a restarted node loads), on SQLite and PostgreSQL (DATABASE_URL).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { MAX_ACCESS_TOKEN_TTL_SECONDS, MAX_TOKEN_LEEWAY_SECONDS } from '@tandem/config';
import { openFeedSource, type FeedSource, type SessionState } from '../src/index.js';
import { REVOCATION_KEPT_MS } from '../src/revocation-window.js';
import { projectionsFor } from './redis-support.js';

let db: MigratedTestDatabase;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw rows in a test
const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
  db.orm.em.getConnection().execute(query, params);
/** A datetime as the ORM stores it: epoch ms on SQLite, timestamptz on PostgreSQL. */
const at = (date: Date) => (testDialect() === 'postgresql' ? date.toISOString() : date.getTime());

const WINDOW_MS = (MAX_ACCESS_TOKEN_TTL_SECONDS + MAX_TOKEN_LEEWAY_SECONDS) * 1000;

before(async () => {
  db = await createMigratedDatabase();
  await sql(`insert into users (email, password_hash) values ('late@example.com', 'x')`);
});
after(() => db?.close());

async function session(expiresAt: Date, revokedAt: Date | null): Promise<string> {
  const [{ id: userId }] = await sql(`select id from users where email = 'late@example.com'`);
  const sid = randomUUID();
  await sql(
    `insert into sessions (id, user_id, grant_type, expires_at, revoked_at, revoked_reason) values (?, ?, 'password', ?, ?, ?)`,
    [
      sid,
      userId,
      at(expiresAt),
      revokedAt === null ? null : at(revokedAt),
      revokedAt === null ? null : 'revoked',
    ],
  );
  return sid;
}

async function connected(): Promise<FeedSource> {
  const source = openFeedSource(db.target, projectionsFor(db));
  await source.connect(
    () => undefined,
    () => undefined,
  );
  return source;
}

async function snapshotRevoked(): Promise<Map<string, SessionState>> {
  const source = await connected();
  try {
    return await source.snapshot(
      async (snapshot) => new Map(snapshot.revokedSessions.map((s) => [s.sid, s])),
    );
  } finally {
    await source.close();
  }
}

/**
 * A session ending at `expiresAt`, revoked now, and what the tail (from before it existed) tells a
 * running node of it.
 */
async function revokedOnTail(
  source: FeedSource,
  expiresAt: Date,
): Promise<{ sid: string; revokedAt: Date; told: SessionState }> {
  const position = await source.snapshot(async (snapshot) => snapshot.position);
  const sid = await session(expiresAt, null);
  const revokedAt = new Date();
  await sql(`update sessions set revoked_at = ?, revoked_reason = 'revoked' where id = ?`, [
    at(revokedAt),
    sid,
  ]);
  let told: SessionState | undefined;
  let from = position;
  for (let tries = 0; tries < 50 && told?.revoked !== true; tries++) {
    const read = await source.read(from);
    from = read.position;
    told = read.sessions.filter((s) => s.sid === sid).at(-1) ?? told;
    if (told?.revoked !== true) await sleep(50);
  }
  assert.equal(told?.revoked, true, 'the revocation reaches the tail');
  return { sid, revokedAt, told };
}

test(`a revocation just before the session's end outlives expires_at by the token window (${testDialect()})`, async () => {
  const source = await connected();
  try {
    const expiresAt = new Date(Date.now() + 1500);
    // Revoked a moment before its end: a token issued just before lives ~TTL past expires_at.
    const { sid, revokedAt, told } = await revokedOnTail(source, expiresAt);
    // What the tail tells a running node: remember it until expires_at + TTL + leeway.
    assert.ok(
      told.keepUntilMs >= expiresAt.getTime() + WINDOW_MS - 1,
      `kept until ${told.keepUntilMs}, expires ${expiresAt.getTime()}`,
    );

    // After expires_at has passed, a node that (re)loads its snapshot still learns of it.
    await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 300);
    const loaded = (await snapshotRevoked()).get(sid);
    assert.ok(loaded, 'the late revocation is in a snapshot taken after expires_at');
    assert.ok(loaded.keepUntilMs >= expiresAt.getTime() + WINDOW_MS - 1, `kept until ${loaded.keepUntilMs}`);
    assert.ok(
      Math.abs(loaded.keepUntilMs - (revokedAt.getTime() + REVOCATION_KEPT_MS)) < 1000,
      `kept until ${loaded.keepUntilMs}: from the revocation, the earlier end`,
    );
  } finally {
    await source.close();
  }
});

test(`a session revoked long before its end is remembered from the revocation, not until its end (${testDialect()})`, async () => {
  const source = await connected();
  try {
    const { revokedAt, told } = await revokedOnTail(source, new Date(Date.now() + 30 * 24 * 3600 * 1000));
    assert.ok(
      Math.abs(told.keepUntilMs - (revokedAt.getTime() + REVOCATION_KEPT_MS)) < 1000,
      `told to keep it until ${new Date(told.keepUntilMs).toISOString()}, not its end in 30 days`,
    );
  } finally {
    await source.close();
  }
  // Revoked just past the window, a month before its end: a restarted node does not load it.
  const month = new Date(Date.now() + 30 * 24 * 3600 * 1000);
  const forgotten = await session(month, new Date(Date.now() - REVOCATION_KEPT_MS - 5000));
  const recent = await session(month, new Date(Date.now() - REVOCATION_KEPT_MS + 30_000));
  const revoked = await snapshotRevoked();
  assert.equal(revoked.has(forgotten), false, 'its tokens all expired');
  assert.ok(revoked.has(recent), 'within the window: kept');
});

test('a session revoked after it ended, or ended and revoked long ago, is not loaded', async () => {
  // Ended two windows ago: every token of it expired, whenever it was revoked.
  const revokedAfterEnd = await session(new Date(Date.now() - 2 * WINDOW_MS), new Date(Date.now() - 1000));
  const longGone = await session(
    new Date(Date.now() - 2 * WINDOW_MS),
    new Date(Date.now() - WINDOW_MS - 60_000),
  );
  const justOutside = await session(
    new Date(Date.now() - REVOCATION_KEPT_MS - 5000),
    new Date(Date.now() - REVOCATION_KEPT_MS - 10_000),
  );
  const justInside = await session(
    new Date(Date.now() - REVOCATION_KEPT_MS + 30_000),
    new Date(Date.now() - 1000),
  );
  const revoked = await snapshotRevoked();
  assert.equal(revoked.has(revokedAfterEnd), false, 'no token of it can be accepted any more');
  assert.equal(revoked.has(longGone), false);
  assert.equal(revoked.has(justOutside), false);
  const kept = revoked.get(justInside);
  assert.ok(kept, 'ended within the window, revoked after: kept from its end');
  assert.ok(Math.abs(kept.keepUntilMs - (Date.now() + 30_000)) < 5000, `kept until ${kept.keepUntilMs}`);
});
