import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Category, Product } from '@tandem/models';
import { createMigratedDatabase, testDialect } from '@tandem/models/testing';
import { parsePostgresPosition } from '../src/postgres-position.js';
import { eventually, mapFeed } from './helpers.js';

const skip =
  testDialect() !== 'postgresql' &&
  'PostgreSQL only: SQLite has a single writer, so event id order is commit order';
const WRITERS = 6;
const TRANSACTIONS_PER_WRITER = 70;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const random = (n: number) => Math.floor(Math.random() * n);

/** Every hot record as the database serializes it now (the projection's own SQL): collection → id → JSON. */
async function databaseHotSet(
  client: pg.Client,
  projections: readonly { collection: string; snapshotSql: string }[],
): Promise<Map<string, Map<number, string>>> {
  const out = new Map<string, Map<number, string>>();
  for (const { collection, snapshotSql } of projections) {
    const { rows } = await client.query<{ id: number; json: string }>(snapshotSql);
    out.set(collection, new Map(rows.map((r) => [Number(r.id), r.json])));
  }
  return out;
}

async function countEvents(client: pg.Client): Promise<number> {
  return (await client.query<{ n: number }>('select count(*)::int as n from change_event')).rows[0]!.n;
}

/** What the writers committed, and how many transactions PostgreSQL chose as deadlock victims. */
interface WriteTally {
  transactions: number;
  /** Rows inserted, updated or deleted by committed transactions: one outbox event each. */
  rows: number;
  victims: number;
}

/** SQLSTATEs a concurrent writer must expect: deadlock_detected, serialization_failure. */
const EXPECTED_CONFLICTS = new Set(['40P01', '40001']);

/** One writer: transactions of varied length (some sleep before commit), deadlock victims skipped. */
async function writer(url: string, index: number, categoryIds: number[], tally: WriteTally): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let sequence = 0;
  try {
    for (let t = 0; t < TRANSACTIONS_PER_WRITER; t++) {
      let rows = 0;
      try {
        await client.query('begin');
        const statements = 1 + random(8);
        for (let s = 0; s < statements; s++) {
          const action = random(10);
          let result: pg.QueryResult;
          if (action < 4) {
            result = await client.query(
              `insert into products (sku, name, price_cents, currency, stock, category_id, tags, published)
               values ($1, $2, $3, 'EUR', $4, $5, '["w"]', $6)`,
              [
                `W${index}-${sequence++}`,
                `Writer ${index} item`,
                random(10_000),
                random(50),
                categoryIds[random(categoryIds.length)],
                random(4) !== 0,
              ],
            );
          } else if (action < 7) {
            result = await client.query(
              `update products set price_cents = $1, published = not published, updated_at = clock_timestamp()
                where id = (select id from products where sku not in ('LATE-A', 'EARLY-B') order by random() limit 1)`,
              [random(10_000)],
            );
          } else if (action < 9) {
            result = await client.query(
              `delete from products where id = (select id from products where sku like $1 order by random() limit 1)`,
              [`W${index}-%`],
            );
          } else {
            result = await client.query(
              `update categories set name = $1, updated_at = clock_timestamp() where id = $2`,
              [`Cat ${random(1000)}`, categoryIds[random(categoryIds.length)]],
            );
          }
          rows += result.rowCount ?? 0;
          if (random(3) === 0) await pause(random(5));
        }
        // Some transactions stay open while later ones commit: commit order differs from id order.
        if (random(5) === 0) await client.query('select pg_sleep($1)', [(20 + random(200)) / 1000]);
        await client.query('commit');
        tally.transactions += 1;
        tally.rows += rows;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        // Anything but a deadlock victim is a real failure (a trigger, a constraint, the SQL itself).
        if (!EXPECTED_CONFLICTS.has((error as { code?: string }).code ?? '')) throw error;
        tally.victims += 1;
      }
    }
  } finally {
    await client.end();
  }
}

test(
  'lossless feed: concurrent writers, out-of-order commits, snapshot taken mid-write; hot set == database',
  { skip, timeout: 180_000 },
  async () => {
    const db = await createMigratedDatabase();
    const observer = new pg.Client({ connectionString: db.url });
    await observer.connect();
    let subject: ReturnType<typeof mapFeed> | undefined;
    try {
      const em = db.orm.em.fork();
      const categories = Array.from({ length: 5 }, (_, i) =>
        em.create(Category, { name: `Cat ${i}`, slug: `cat-${i}` }),
      );
      await em.flush();
      for (let i = 0; i < 300; i++) {
        em.create(Product, {
          sku: `SEED-${i}`,
          name: `Seed ${i}`,
          priceCents: i,
          currency: 'EUR',
          stock: 1,
          category: categories[i % 5]!,
          tags: [],
          published: i % 3 !== 0,
        });
      }
      await em.flush();
      const categoryIds = categories.map((c) => c.id);

      const eventsBefore = await countEvents(observer);
      const written: WriteTally = { transactions: 0, rows: 0, victims: 0 };
      const writing = Promise.all(
        Array.from({ length: WRITERS }, (_, i) => writer(db.url, i, categoryIds, written)),
      );

      // The feed loads its snapshot while the writers are in full swing.
      await pause(150);
      subject = mapFeed(db, { pollMs: 5, fallbackPollMs: 100 });
      const { feed, records: served, projections } = subject;
      await feed.start();

      // The canonical hazard: A allocates its event id first, B commits first, A commits last.
      const a = new pg.Client({ connectionString: db.url });
      const b = new pg.Client({ connectionString: db.url });
      await a.connect();
      await b.connect();
      try {
        await a.query('begin');
        await a.query(
          `insert into products (sku, name, price_cents, currency, stock, category_id, published) values ('LATE-A', 'A', 1, 'EUR', 1, $1, true)`,
          [categoryIds[0]],
        );
        const aTxid = BigInt(
          (await a.query<{ x: string }>('select pg_current_xact_id()::text as x')).rows[0]!.x,
        );
        await b.query(
          `insert into products (sku, name, price_cents, currency, stock, category_id, published) values ('EARLY-B', 'B', 1, 'EUR', 1, $1, true)`,
          [categoryIds[0]],
        );
        const ids = await observer.query<{ sku: string; id: string }>(
          `select p.sku, e.id::text from change_event e join products p on p.id::text = e.record_id and e.table_name = 'products' where p.sku = 'EARLY-B'`,
        );
        assert.equal(ids.rows.length, 1, "B's event is committed and visible");
        // B, whole and committed, is served while A is still open (the feed reads ahead of its
        // watermark); A is not, and the watermark does not pass A: a reader that tailed by id would
        // have moved beyond A's id here.
        await eventually(
          'B is served while A is open',
          () => [...served.get('products')!.values()].some((json) => JSON.parse(json).sku === 'EARLY-B'),
          10_000,
        );
        await pause(300); // the feed reads several times more while A is still open
        const skusWhileOpen = [...served.get('products')!.values()].map((json) => JSON.parse(json).sku);
        assert.ok(!skusWhileOpen.includes('LATE-A'));
        assert.ok(
          BigInt(parsePostgresPosition(feed.status().position!).watermark) <= aTxid,
          'the watermark does not pass the open transaction',
        );
        await a.query('commit');
      } finally {
        await a.end();
        await b.end();
      }

      await writing;
      // Every committed row change, and nothing else, reached the outbox (plus A's and B's inserts).
      assert.equal((await countEvents(observer)) - eventsBefore, written.rows + 2, JSON.stringify(written));
      // Deadlock victims are skipped, not retried: most of the planned work must still have committed.
      assert.ok(
        written.transactions >= (WRITERS * TRANSACTIONS_PER_WRITER) / 2 && written.rows >= 1000,
        `too little was committed to prove anything: ${JSON.stringify(written)}`,
      );

      await eventually(
        'hot set converges to the database',
        async () => {
          const expected = await databaseHotSet(observer, projections);
          for (const [name, rows] of expected) {
            const got = served.get(name)!;
            if (got.size !== rows.size) return false;
            for (const [id, json] of rows) if (got.get(id) !== json) return false;
          }
          return true;
        },
        60_000,
      );
      // Record for record, with a readable diff if it ever fails.
      const expected = await databaseHotSet(observer, projections);
      for (const [name, rows] of expected) assert.deepEqual(served.get(name), rows, `collection ${name}`);
      const skus = [...served.get('products')!.values()].map((json) => JSON.parse(json).sku);
      assert.ok(skus.includes('LATE-A') && skus.includes('EARLY-B'));
    } finally {
      await subject?.feed.close();
      await observer.end();
      await db.close();
    }
  },
);
