/**
 * A collection with a hot window (the `writes` outcomes, WRITE_HOT_SECONDS): the snapshot and the
 * feed's re-reads leave out rows settled longer ago than the window, so a restarted or running fast
 * node never loads them; unsettled rows (no appliedAt) stay in; a row settled again comes back; the
 * lookup by id reads any row whatever its age. On SQLite and on PostgreSQL (DATABASE_URL).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WRITE_HOT_SECONDS, Write, type WriteStatus } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { eventually, seededFeed } from './helpers.js';

type Fixture = Awaited<ReturnType<typeof seededFeed>>;
let f: Fixture;
const ids = { recent: 0, old: 0, queued: 0 };
const HOUR = 3_600_000;

type Em = Parameters<Parameters<typeof seededFeed>[0]>[0];
function write(em: Em, status: WriteStatus, acceptedAt: Date, appliedAt: Date | null) {
  return em.create(Write, {
    subject: '7',
    collection: 'orders',
    op: 'create',
    status,
    httpStatus: status === 'queued' ? null : 201,
    bodyHash: 'a'.repeat(64),
    idempotencyKey: `key-${status}-${acceptedAt.getTime()}`,
    partition: 0,
    acceptedAt,
    appliedAt,
  });
}

const held = () => new Set(f.records.get('writes')!.keys());
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw rows in a test
const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
  f.db.orm.em.getConnection().execute(query, params);
const writes = () => f.projections.find((p) => p.collection === 'writes')!;

before(async () => {
  const now = Date.now();
  const fixture = await seededFeed((em) => ({
    recent: write(em, 'applied', new Date(now - 1000), new Date(now - 500)),
    old: write(em, 'rejected', new Date(now - 2 * HOUR), new Date(now - 2 * HOUR)),
    queued: write(em, 'queued', new Date(now - 2 * HOUR), null),
  }));
  f = fixture;
  for (const key of ['recent', 'old', 'queued'] as const) ids[key] = fixture.seeded[key].id;
});
after(() => f?.close());

test(`the window is declared on writes: ${WRITE_HOT_SECONDS} s after appliedAt (${testDialect()})`, () => {
  assert.equal(writes().hotWindowMs, WRITE_HOT_SECONDS * 1000);
  assert.equal(
    f.projections.find((p) => p.collection === 'products')!.hotWindowMs,
    undefined,
    'other collections keep every row',
  );
});

test('the snapshot holds settled rows within the window and unsettled ones, not older ones', () => {
  assert.deepEqual(held(), new Set([ids.recent, ids.queued]));
});

test('a change to a row past the window does not bring it into the feed; settling it again does', async () => {
  // What the hourly purge does to rows older than 24 h: release the key (a change the feed reads).
  await sql('update writes set idempotency_key = null where id = ?', [ids.old]);
  const marker = f.db.orm.em.fork();
  const late = write(marker, 'applied', new Date(Date.now() - 3 * HOUR), new Date(Date.now() - 3 * HOUR));
  const fresh = write(marker, 'applied', new Date(), new Date());
  await marker.flush();
  await eventually('the fresh row arrives', () => held().has(fresh.id));
  assert.ok(!held().has(ids.old), 'the changed old row stays out');
  assert.ok(!held().has(late.id), 'an old row inserted now stays out');
  await marker
    .getConnection()
    .execute('update writes set applied_at = ? where id = ?', [
      testDialect() === 'postgresql' ? new Date().toISOString() : Date.now(),
      ids.old,
    ]);
  await eventually('the row settled again arrives', () => held().has(ids.old));
});

test('an unsettled row leaves the window only once settled long enough ago', async () => {
  const longAgo = new Date(Date.now() - 2 * HOUR);
  await sql(`update writes set status = 'applied', http_status = 201, applied_at = ? where id = ?`, [
    testDialect() === 'postgresql' ? longAgo.toISOString() : longAgo.getTime(),
    ids.queued,
  ]);
  await eventually('the settled row is re-read out of the window', () => !held().has(ids.queued));
  assert.ok(f.changes.some((c) => c.collection === 'writes' && c.id === ids.queued && c.json === null));
});

test(
  'SQLite text datetimes (raw SQL defaults) are windowed too',
  { skip: testDialect() !== 'sqlite' },
  async () => {
    const [{ id }] = await sql(
      `insert into writes (subject, collection, op, status, http_status, body_hash, partition, accepted_at, applied_at)
     values ('7', 'orders', 'create', 'applied', 201, ?, 0, datetime('now', '-2 hours'), datetime('now', '-2 hours'))
     returning id`,
      ['b'.repeat(64)],
    );
    const [{ id: recent }] = await sql(
      `insert into writes (subject, collection, op, status, http_status, body_hash, partition, accepted_at, applied_at)
     values ('7', 'orders', 'create', 'applied', 201, ?, 0, datetime('now'), datetime('now')) returning id`,
      ['c'.repeat(64)],
    );
    await eventually('the recent text row arrives', () => held().has(Number(recent)));
    assert.ok(!held().has(Number(id)));
  },
);

test('the lookup by id reads a row past the window only: one inside it comes through the feed', async () => {
  // By now ids.queued was settled two hours ago (past the window) and ids.old settled again just now.
  const lookup = (id: number | string) => sql(writes().lookupSql, [id]);
  const [row] = await lookup(ids.queued);
  assert.equal(Number(row.id), ids.queued);
  assert.equal(JSON.parse(row.json).subject, '7');
  assert.deepEqual(await lookup(ids.old), [], 'inside the window: never ahead of the store');
  assert.deepEqual(await lookup(987_654), []);
  // Past PostgreSQL's integer range: no row, not an error.
  assert.deepEqual(await lookup(99_999_999_999), []);
  const unsettled = await sql(
    `insert into writes (subject, collection, op, status, body_hash, partition, accepted_at) values ('7', 'orders', 'create', 'queued', ?, 0, ?) returning id`,
    [
      'd'.repeat(64),
      testDialect() === 'postgresql' ? new Date(Date.now() - 2 * HOUR).toISOString() : Date.now() - 2 * HOUR,
    ],
  );
  assert.deepEqual(await lookup(Number(unsettled[0].id)), [], "an unsettled row is the queue's to answer");
});

test("the owner's lookup reads the row for its owner only; it compiles for relation owners too", async () => {
  const owned = (id: number, owner: string) => sql(writes().lookupOwnedSql!, [id, owner]);
  assert.equal((await owned(ids.queued, '7')).length, 1);
  assert.deepEqual(await owned(ids.queued, '8'), [], "another writer's row is not read");
  assert.deepEqual(await owned(ids.queued, '07'), [], 'the owner key is compared exactly');
  const orders = f.projections.find((p) => p.collection === 'orders')!;
  assert.deepEqual(await sql(orders.lookupOwnedSql!, [1, '1']), [], 'orders.user_id, an integer column');
  assert.equal(
    f.projections.find((p) => p.collection === 'products')!.lookupOwnedSql,
    undefined,
    'shared collections have none',
  );
});
