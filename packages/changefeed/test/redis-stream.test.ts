import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Category, Product } from '@tandem/models';
import {
  createMigratedDatabase,
  redisServerInstalled,
  startPrivateRedis,
  testDialect,
  type MigratedTestDatabase,
} from '@tandem/models/testing';
import { decodeEntry, encodeEntry, streamId } from '../src/index.js';
import { eventually, mapFeed } from './helpers.js';
import { REDIS_SKIP, REDIS_URL, redisSource, startRelay, uniqueStreamKey } from './redis-support.js';

let db: MigratedTestDatabase;
let categoryId: number;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw rows in a test
const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
  db.orm.em.getConnection().execute(query, params);

/** Every published product's stock, straight from the database: the truth the hot sets must equal. */
async function databaseStocks(): Promise<Map<number, number>> {
  const published = testDialect() === 'postgresql' ? 'true' : '1';
  const rows = await sql(`select id, stock from products where published = ${published}`);
  return new Map(rows.map((row) => [Number(row.id), Number(row.stock)]));
}

function hotStocks(records: Map<string, Map<number, string>>): Map<number, number> {
  // A reload clears the maps before it refills them: until then there is no products map yet.
  return new Map(
    [...(records.get('products') ?? [])].map(([id, json]) => [
      id,
      (JSON.parse(json) as { stock: number }).stock,
    ]),
  );
}

async function assertEqualsDatabase(what: string, records: Map<string, Map<number, string>>): Promise<void> {
  const expected = await databaseStocks();
  await eventually(
    what,
    async () => JSON.stringify([...hotStocks(records)].sort()) === JSON.stringify([...expected].sort()),
  );
}

/** Bumps stock of random products one at a time: each product's stock only grows, so order is checkable. */
async function bumpStocks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await sql(`update products set stock = stock + 1 where id = (select min(id) from products) + ?`, [
      i % 20,
    ]);
  }
}

/** Records, per product, every stock value a consumer applied; a decrease would mean out-of-order. */
function watchOrder(changes: { collection: string; id: number; json: string | null }[]) {
  return () => {
    const last = new Map<number, number>();
    for (const change of changes) {
      if (change.collection !== 'products' || change.json === null) continue;
      const stock = (JSON.parse(change.json) as { stock: number }).stock;
      assert.ok(
        stock >= (last.get(change.id) ?? 0),
        `product ${change.id} went back from ${last.get(change.id)} to ${stock}`,
      );
      last.set(change.id, stock);
    }
  };
}

describe(`Redis Stream fan-out (${testDialect()})`, { skip: REDIS_SKIP }, () => {
  before(async () => {
    db = await createMigratedDatabase();
    const em = db.orm.em.fork();
    const category = em.create(Category, { name: 'Tools', slug: 'tools' });
    for (let i = 0; i < 20; i++) {
      em.create(Product, {
        sku: `T-${i}`,
        name: `Tool ${i}`,
        priceCents: 100 + i,
        currency: 'EUR',
        stock: 0,
        category,
        tags: [],
        published: true,
      });
    }
    await em.flush();
    categoryId = category.id;
  });
  after(() => db?.close());

  test('two replicas fed by one relay see every change, in order, and end equal to the database', async () => {
    const key = uniqueStreamKey();
    const relay = startRelay(db, REDIS_URL!, key);
    await relay.ready();
    const a = mapFeed(db, {}, redisSource(db, REDIS_URL!, key));
    const b = mapFeed(db, {}, redisSource(db, REDIS_URL!, key));
    try {
      await Promise.all([a.feed.start(), b.feed.start()]);
      await bumpStocks(100);
      await sql(
        `insert into products (sku, name, price_cents, currency, stock, category_id, tags, published) values ('NEW', 'New', 1, 'EUR', 7, ?, '[]', ${testDialect() === 'postgresql' ? 'true' : '1'})`,
        [categoryId],
      );
      await sql(
        `update products set published = ${testDialect() === 'postgresql' ? 'false' : '0'} where sku = 'T-19'`,
      );
      await assertEqualsDatabase('replica a equals the database', a.records);
      await assertEqualsDatabase('replica b equals the database', b.records);
      watchOrder(a.changes)();
      watchOrder(b.changes)();
      assert.equal(a.feed.status().snapshots, 1, 'no reload was needed');
    } finally {
      await a.feed.close();
      await b.feed.close();
      await relay.close();
    }
  });

  test('a revoked session reaches replicas through the stream', async () => {
    const key = uniqueStreamKey();
    const relay = startRelay(db, REDIS_URL!, key);
    await relay.ready();
    const replica = mapFeed(db, {}, redisSource(db, REDIS_URL!, key));
    try {
      await replica.feed.start();
      const pg = testDialect() === 'postgresql';
      await sql(`insert into users (email, password_hash) values ('revoked@example.com', 'x')`);
      const [user] = await sql(`select id from users where email = 'revoked@example.com'`);
      const expires = pg ? "now() + interval '1 day'" : "datetime('now', '+1 day')";
      await sql(
        `insert into sessions (id, user_id, grant_type, expires_at) values ('sid-redis-1', ?, 'password', ${expires})`,
        [user.id],
      );
      await sql(
        `update sessions set revoked_at = ${pg ? 'now()' : 'CURRENT_TIMESTAMP'}, revoked_reason = 'test' where id = 'sid-redis-1'`,
      );
      await eventually('the revocation reaches the replica', () => replica.revoked.has('sid-redis-1'));
    } finally {
      await replica.feed.close();
      await relay.close();
    }
  });

  test('a relay restart loses nothing and keeps order', async () => {
    const key = uniqueStreamKey();
    let relay = startRelay(db, REDIS_URL!, key);
    await relay.ready();
    const consumer = mapFeed(db, {}, redisSource(db, REDIS_URL!, key));
    try {
      await consumer.feed.start();
      await bumpStocks(50);
      await relay.close();
      await bumpStocks(50); // written while no relay runs
      relay = startRelay(db, REDIS_URL!, key);
      await bumpStocks(50);
      await assertEqualsDatabase('consumer equals the database after the relay restart', consumer.records);
      watchOrder(consumer.changes)();
      assert.equal(consumer.feed.status().snapshots, 1, 'the stream continued without a gap');
    } finally {
      await consumer.feed.close();
      await relay.close();
    }
  });

  test('a fast node restart resumes from its own snapshot', async () => {
    const key = uniqueStreamKey();
    const relay = startRelay(db, REDIS_URL!, key);
    try {
      await relay.ready();
      const first = mapFeed(db, {}, redisSource(db, REDIS_URL!, key));
      await first.feed.start();
      await bumpStocks(20);
      await first.feed.close();
      await bumpStocks(20); // while the node is down
      const second = mapFeed(db, {}, redisSource(db, REDIS_URL!, key));
      await second.feed.start();
      // Taken before the feed's first stream read can complete (that needs a Redis round trip).
      const ownSnapshot = hotStocks(second.records);
      assert.deepEqual(
        [...ownSnapshot].sort(),
        [...(await databaseStocks())].sort(),
        'the restarted node loaded its own snapshot, with the writes made while it was down',
      );
      await bumpStocks(20);
      await assertEqualsDatabase('restarted node equals the database', second.records);
      watchOrder(second.changes)();
      // Resumed at the snapshot's position: nothing older than the snapshot came from the stream
      // (replaying from the stream's start would step every product back before moving it forward).
      const products = second.changes.filter((c) => c.collection === 'products' && c.json !== null);
      assert.ok(products.length > 0, 'the writes after the restart came through the stream');
      for (const change of products) {
        const stock = (JSON.parse(change.json!) as { stock: number }).stock;
        assert.ok(
          stock >= (ownSnapshot.get(change.id) ?? 0),
          `product ${change.id}: stock ${stock} from the stream is older than the snapshot's ${ownSnapshot.get(change.id)}`,
        );
      }
      assert.equal(second.feed.status().snapshots, 1, 'no reload: the stream continued from the snapshot');
      await second.feed.close();
    } finally {
      await relay.close();
    }
  });

  test('a consumer whose next entries were trimmed away reloads a snapshot', async () => {
    const key = uniqueStreamKey();
    const redis = new Redis(REDIS_URL!);
    const consumer = mapFeed(db, {}, redisSource(db, REDIS_URL!, key));
    try {
      await consumer.feed.start();
      const at = BigInt(consumer.feed.status().position!);
      // What a consumer sees when the entries after its position were trimmed: the next entry starts later.
      await redis.xadd(
        key,
        streamId(String(at + 1000n)),
        ...encodeEntry(String(at + 500n), { changes: [], sessions: [], events: 0 }),
      );
      // The synthetic entry stays ahead of every new snapshot, so the consumer may reload more than once.
      await eventually('the consumer reloads', () => consumer.feed.status().snapshots >= 2);
      await assertEqualsDatabase('reloaded consumer equals the database', consumer.records);
    } finally {
      await consumer.feed.close();
      await redis.del(key);
      redis.disconnect();
    }
  });

  test('two relays: one is active, the other takes over, and the stream has no gaps or duplicates', async () => {
    const key = uniqueStreamKey();
    const first = startRelay(db, REDIS_URL!, key, 600);
    const second = startRelay(db, REDIS_URL!, key, 600);
    const consumer = mapFeed(db, {}, redisSource(db, REDIS_URL!, key));
    const redis = new Redis(REDIS_URL!);
    try {
      await consumer.feed.start();
      await eventually(
        'one relay is active',
        () => first.relay.status().active !== second.relay.status().active,
      );
      const [active, standby] = first.relay.status().active ? [first, second] : [second, first];
      await bumpStocks(30);
      await assertEqualsDatabase('consumer equals the database', consumer.records);
      await active.close();
      await eventually('the standby takes over', () => standby.relay.status().active);
      await bumpStocks(30);
      await assertEqualsDatabase('consumer equals the database after the takeover', consumer.records);
      watchOrder(consumer.changes)();
      const entries = ((await redis.xrange(key, '-', '+')) as [string, string[]][]).map(([id, fields]) =>
        decodeEntry(id, fields),
      );
      for (let i = 1; i < entries.length; i++) {
        assert.ok(BigInt(entries[i]!.to) > BigInt(entries[i - 1]!.to), 'entry positions strictly grow');
        assert.ok(BigInt(entries[i]!.from) <= BigInt(entries[i - 1]!.to), `no gap before entry ${i}`);
      }
    } finally {
      await consumer.feed.close();
      await first.close();
      await second.close();
      await redis.del(key);
      redis.disconnect();
    }
  });

  test(
    'a Redis restart (stream lost) is survived: relay and consumers catch up',
    { skip: !redisServerInstalled() && 'redis-server is not installed' },
    async () => {
      const redis = await startPrivateRedis();
      const key = uniqueStreamKey();
      const relay = startRelay(db, redis.url, key, 500);
      await relay.ready();
      const consumer = mapFeed(db, {}, redisSource(db, redis.url, key));
      try {
        await consumer.feed.start();
        await bumpStocks(20);
        await assertEqualsDatabase('before the restart', consumer.records);
        await redis.kill();
        await bumpStocks(20); // while Redis is down
        await redis.start(); // empty: the stream and the relay's lock are gone
        await bumpStocks(20);
        await assertEqualsDatabase('consumer equals the database after the Redis restart', consumer.records);
      } finally {
        await consumer.feed.close();
        await relay.close();
        await redis.destroy();
      }
    },
  );
});
