/**
 * Write outcomes stay in the fast service's memory for WRITE_HOT_SECONDS after they settle, not for
 * the table's 7-day retention: every write adds a row, and a writer at the rate limit (rejected writes
 * cost no stock) used to grow every replica by ~4 GB a day. Older outcomes are still answered by id,
 * from the database, with the bytes and ETag they had in memory, to their writer only; they leave the
 * list and the topic, and leaving memory is not pushed as a delete.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WRITE_HOT_SECONDS, Write, type WriteStatus } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { eventually, startHarness, type Harness } from './support/fast.js';
import { bearer, get, type HttpReply } from './support/http.js';
import { openLive } from './support/ws.js';

let h: Harness;
const HOUR = 3_600_000;
const ids = { recent: 0, old: 0, queued: 0, theirsOld: 0 };

/** A datetime as the ORM stores it: epoch ms on SQLite, timestamptz on PostgreSQL. */
const dbTime = (ms: number) => (testDialect() === 'postgresql' ? new Date(ms).toISOString() : ms);
const writesUrl = (path = '') => `${h.fast.url}/v1/writes${path}`;
const token = (sub: string) => h.issuer.sign({ sub, scope: 'writes:read' });
const held = (id: number) => h.fast.store.get('writes')!.get(id) !== undefined;
const listed = (reply: HttpReply) => reply.json.items.map((w: { id: number }) => w.id);

before(async () => {
  h = await startHarness();
  const em = h.db.orm.em.fork();
  const now = Date.now();
  const write = (subject: string, status: WriteStatus, settledAt: Date | null) =>
    em.create(Write, {
      subject,
      collection: 'orders',
      op: 'create',
      status,
      httpStatus: status === 'queued' ? null : 422,
      ...(status === 'rejected' ? { errors: { lines: 'Out of stock.' } } : {}),
      bodyHash: 'a'.repeat(64),
      partition: 0,
      acceptedAt: settledAt ?? new Date(now - 2 * HOUR),
      appliedAt: settledAt,
    });
  const rows = {
    recent: write('7', 'rejected', new Date(now)),
    old: write('7', 'rejected', new Date(now - 2 * HOUR)),
    queued: write('7', 'queued', null),
    theirsOld: write('8', 'rejected', new Date(now - 2 * HOUR)),
  };
  await em.flush();
  for (const key of Object.keys(rows) as (keyof typeof rows)[]) ids[key] = rows[key].id;
  await eventually('the recent outcome is served', () => held(ids.recent) && held(ids.queued));
});
after(() => h?.close());

test(`outcomes settled more than ${WRITE_HOT_SECONDS} s ago are not held in memory (${testDialect()})`, () => {
  assert.ok(!held(ids.old));
  assert.ok(!held(ids.theirsOld));
  assert.equal(h.fast.store.get('writes')!.size, 2);
});

test('an old outcome is answered by id from the database, with the bytes and ETag it would have', async () => {
  const mine = bearer(await token('7'));
  const old = await get(writesUrl(`/${ids.old}`), mine);
  assert.equal(old.status, 200);
  assert.deepEqual(
    { id: old.json.id, status: old.json.status, errors: old.json.errors, subject: old.json.subject },
    { id: ids.old, status: 'rejected', errors: { lines: 'Out of stock.' }, subject: '7' },
  );
  assert.equal(old.headers['content-type'], 'application/json');
  // The same shape as a hot outcome's answer: the same fields in the same order.
  const recent = await get(writesUrl(`/${ids.recent}`), mine);
  assert.deepEqual(Object.keys(old.json), Object.keys(recent.json));
  const etag = old.headers.etag as string;
  assert.match(etag, /^"[^"]+"$/);
  const again = await get(writesUrl(`/${ids.old}`), { ...mine, 'if-none-match': etag });
  assert.equal(again.status, 304);
});

test("another writer's old outcome is the missing-record 404, byte for byte", async () => {
  const mine = bearer(await token('7'));
  const theirs = await get(writesUrl(`/${ids.theirsOld}`), mine);
  const missing = await get(writesUrl('/987654'), mine);
  assert.equal(theirs.status, 404);
  assert.equal(theirs.text, missing.text.replace('987654', String(ids.theirsOld)));
  assert.doesNotMatch(theirs.text, /Out of stock/);
  // Their own writer reads it.
  assert.equal((await get(writesUrl(`/${ids.theirsOld}`), bearer(await token('8')))).status, 200);
});

test('the list covers the hot window: old outcomes are left out', async () => {
  assert.deepEqual(listed(await get(writesUrl(), bearer(await token('7')))), [ids.recent, ids.queued]);
});

test('past the window, held outcomes leave memory silently and are still answered by id', async () => {
  const live = await openLive(h.fast.url, { token: await token('7') });
  try {
    live.send({ type: 'subscribe', topic: 'writes' });
    await live.next((f) => f.type === 'subscribed' && f.topic === 'writes', 'subscribed');
    const collection = h.fast.store.get('writes')!;
    // A sweep just before the window ends keeps them; one past it drops them (queued ones included:
    // a queued write is answered from the table as well).
    assert.equal(h.fast.store.sweep(Date.now() + WRITE_HOT_SECONDS * 1000 - 60_000), 0);
    assert.equal(h.fast.store.sweep(Date.now() + WRITE_HOT_SECONDS * 1000 + 1000), 2);
    assert.equal(collection.size, 0);
    assert.deepEqual(listed(await get(writesUrl(), bearer(await token('7')))), []);
    const mine = bearer(await token('7'));
    // The database still says "settled just now": such a row comes through the feed only (an answer
    // from the table could be ahead of the store, an order's outcome before the order), so this is the
    // queue's answer. Queued rows are always the queue's.
    for (const id of [ids.recent, ids.queued]) {
      const reply = await get(writesUrl(`/${id}`), mine);
      assert.equal(reply.status, 200, String(id));
      assert.deepEqual(reply.json, { id, status: 'queued' });
    }
    // Once the table too says it settled longer ago than the window, the row is read from it.
    await h.sql('update writes set applied_at = ? where id = ?', [dbTime(Date.now() - 2 * HOUR), ids.recent]);
    const aged = await get(writesUrl(`/${ids.recent}`), mine);
    assert.equal(aged.status, 200);
    assert.equal(aged.json.status, 'rejected');
    assert.equal(aged.json.subject, '7');
    // The next outcome is pushed as ever; nothing was pushed for the rows that left memory.
    const em = h.db.orm.em.fork();
    const next = em.create(Write, {
      subject: '7',
      collection: 'orders',
      op: 'delete',
      recordId: '1',
      status: 'applied',
      httpStatus: 204,
      bodyHash: 'b'.repeat(64),
      partition: 0,
      acceptedAt: new Date(),
      appliedAt: new Date(),
    });
    await em.flush();
    await live.next((f) => f.type === 'change' && f.op === 'upsert' && f.id === next.id, 'the next outcome');
    assert.deepEqual(
      live.frames.filter((f) => f.op === 'delete'),
      [],
      'leaving memory is not a deletion',
    );
  } finally {
    live.close();
  }
});
