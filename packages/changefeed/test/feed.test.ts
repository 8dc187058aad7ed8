import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Category, Product } from '@tandem/models';
import { NOTIFY_CHANNEL } from '../src/index.js';
import { testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { createProduct, eventually, mapFeed, seededFeed } from './helpers.js';

let db: MigratedTestDatabase;
let feedUnderTest: ReturnType<typeof mapFeed>;
let close: (() => Promise<void>) | undefined;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw rows in a test
const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
  db.orm.em.getConnection().execute(query, params);

before(async () => {
  const fixture = await seededFeed((em) => {
    const garden = em.create(Category, { name: 'Garden', slug: 'garden' });
    createProduct(em, garden, 'RAKE', { name: 'Rake', priceCents: 1299, stock: 3, tags: ['tools'] });
    createProduct(em, garden, 'HIDDEN', { name: 'Draft', priceCents: 1, stock: 0, published: false });
  });
  ({ db, close } = fixture);
  feedUnderTest = fixture;
});

after(() => close?.());

test(`the snapshot holds published products and categories, JSON built by ${testDialect()}`, () => {
  const products = [...feedUnderTest.records.get('products')!.values()].map((j) => JSON.parse(j));
  assert.equal(products.length, 1);
  const rake = products[0];
  assert.deepEqual(Object.keys(rake), [
    'id',
    'sku',
    'name',
    'description',
    'priceCents',
    'currency',
    'stock',
    'categoryId',
    'tags',
    'updatedAt',
  ]);
  assert.equal(rake.sku, 'RAKE');
  assert.deepEqual(rake.tags, ['tools']);
  assert.match(rake.updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(feedUnderTest.records.get('categories')!.size, 1);
  assert.equal(feedUnderTest.feed.status().ready, true);
});

test('ORM writes, raw SQL writes, unpublish and delete reach the feed', async () => {
  const { records } = feedUnderTest;
  const em = db.orm.em.fork();
  const garden = await em.findOneOrFail(Category, { slug: 'garden' });
  const hose = createProduct(em, garden, 'HOSE', { name: 'Hose', priceCents: 2500 });
  await em.flush();
  await eventually('ORM insert', () => records.get('products')!.has(hose.id));

  const dialect = testDialect();
  const published = dialect === 'postgresql' ? 'true' : '1';
  await sql(
    `insert into products (sku, name, price_cents, currency, stock, category_id, tags, published) values ('RAW', 'Raw SQL', 5, 'USD', 2, ?, '["x"]', ${published})`,
    [garden.id],
  );
  const [raw] = await sql(`select id from products where sku = 'RAW'`);
  const rawId = Number(raw.id);
  await eventually('raw SQL insert', () => records.get('products')!.has(rawId));
  const rawJson = JSON.parse(records.get('products')!.get(rawId)!);
  assert.deepEqual(rawJson.tags, ['x']);
  assert.match(
    rawJson.updatedAt,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    'a database default timestamp is normalized too',
  );

  await sql(`update products set name = 'Renamed' where id = ?`, [rawId]);
  await eventually(
    'raw SQL update',
    () => JSON.parse(records.get('products')!.get(rawId) ?? '{}').name === 'Renamed',
  );

  hose.published = false;
  await em.flush();
  await eventually('unpublish removes', () => !records.get('products')!.has(hose.id));

  await sql(`delete from products where id = ?`, [rawId]);
  await eventually('delete removes', () => !records.get('products')!.has(rawId));

  const draft = await em.findOneOrFail(Product, { sku: 'HIDDEN' });
  draft.published = true;
  await em.flush();
  await eventually('publish adds', () => records.get('products')!.has(draft.id));

  garden.name = 'Garden & Yard';
  await em.flush();
  await eventually(
    'category update',
    () => JSON.parse(records.get('categories')!.get(garden.id)!).name === 'Garden & Yard',
  );
});

test('a revoked session reaches the feed', async () => {
  const sid = '6f1c5a52-0000-4000-8000-000000000001';
  await sql(`insert into users (email, password_hash) values ('s@example.com', 'x')`);
  const [{ id: userId }] = await sql(`select id from users where email = 's@example.com'`);
  const future = new Date(Date.now() + 3600_000).toISOString();
  await sql(`insert into sessions (id, user_id, grant_type, expires_at) values (?, ?, 'password', ?)`, [
    sid,
    userId,
    future,
  ]);
  await sql(`update sessions set revoked_at = ? where id = ?`, [new Date().toISOString(), sid]);
  await eventually('session revoked', () => feedUnderTest.revoked.has(sid));
});

test("a session's revocation, end and removal are captured; its start and last use are not", async () => {
  const sid = '6f1c5a52-0000-4000-8000-000000000002';
  await sql(`insert into users (email, password_hash) values ('t@example.com', 'x')`);
  const [{ id: userId }] = await sql(`select id from users where email = 't@example.com'`);
  const hour = (n: number) => new Date(Date.now() + n * 3600_000).toISOString();
  await sql(`insert into sessions (id, user_id, grant_type, expires_at) values (?, ?, 'password', ?)`, [
    sid,
    userId,
    hour(1),
  ]);
  const events = async () =>
    Number(
      (
        await sql(`select count(*) as n from change_event where table_name = 'sessions' and record_id = ?`, [
          sid,
        ])
      )[0].n,
    );
  // What every sign-in and code exchange does: a live session changes nothing a verifier holds.
  assert.equal(await events(), 0, 'a start is not a change for the feed');
  // What every refresh and client token does: no outbox row, no wake-up, nothing for verifiers to re-read.
  await sql(`update sessions set last_used_at = ? where id = ?`, [hour(0), sid]);
  assert.equal(await events(), 0, 'a touch is not a change for the feed');
  await sql(`update sessions set expires_at = ? where id = ?`, [hour(2), sid]);
  assert.equal(await events(), 1, 'a new end is');
  await sql(`update sessions set revoked_at = ?, last_used_at = ? where id = ?`, [hour(0), hour(0), sid]);
  assert.equal(await events(), 2, 'a revocation is');
  await eventually('session revoked', () => feedUnderTest.revoked.has(sid));
  await sql(`delete from sessions where id = ?`, [sid]);
  assert.equal(await events(), 3, 'a removal is');
});

test(
  'a session that starts sends no wake-up; one that is revoked does (PostgreSQL)',
  { skip: testDialect() !== 'postgresql' && 'the wake-up is a PostgreSQL NOTIFY' },
  async () => {
    // A NOTIFY takes a database-wide lock from pre-commit through the WAL flush: one per sign-in
    // serialized every sign-in's commit. Notifications reach a listener in commit order, so a marker
    // sent after the insert committed arrives first exactly when the insert sent none.
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.payload ?? ''));
      await listener.query(`listen ${NOTIFY_CHANNEL}`);
      const sid = '6f1c5a52-0000-4000-8000-000000000003';
      await sql(`insert into users (email, password_hash) values ('w@example.com', 'x')`);
      const [{ id: userId }] = await sql(`select id from users where email = 'w@example.com'`);
      await sql(`insert into sessions (id, user_id, grant_type, expires_at) values (?, ?, 'password', ?)`, [
        sid,
        userId,
        new Date(Date.now() + 3600_000).toISOString(),
      ]);
      await sql(`select pg_notify(?, 'after the start')`, [NOTIFY_CHANNEL]);
      await sql(`update sessions set revoked_at = ? where id = ?`, [new Date().toISOString(), sid]);
      await eventually('both notifications', () => heard.length >= 2);
      assert.deepEqual(
        heard,
        ['after the start', ''],
        'the start sent nothing; the revocation woke the feed',
      );
    } finally {
      await listener.end();
    }
  },
);

test('pruning removes old outbox events only', async () => {
  const feed = mapFeed(db, { retentionSeconds: 3600 });
  const [{ n: before }] = await sql('select count(*) as n from change_event');
  assert.ok(Number(before) > 0);
  await sql(
    testDialect() === 'postgresql'
      ? `update change_event set created_at = now() - interval '2 hours' where id = (select min(id) from change_event)`
      : `update change_event set created_at = '2000-01-01 00:00:00' where id = (select min(id) from change_event)`,
  );
  await feed.feed.start(); // the first read prunes (interval elapsed since "never")
  await eventually(
    'pruned',
    async () => Number((await sql('select count(*) as n from change_event'))[0].n) === Number(before) - 1,
  );
  await feed.feed.close();
});
