/**
 * Every change's way to fast runs the feed's read (commit -> NOTIFY -> read -> frame), so its cost must
 * not grow with the events the outbox keeps (a day of them by default). It did: PostgreSQL planned the
 * lag count without knowing the window's value, and with no statistics on the outbox yet (a bulk load
 * and a stream of logins that autovacuum has not analyzed) it read the whole table on every read, ~8-11
 * ms with 100,000 events kept: commit -> frame p50 grew from 2 to 16-23 ms in the live orders bench.
 * Both earlier forms of the read (a plain count, then one bounded by the position too) fail the first
 * test; the second checks that counting the lag in stages keeps it exact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { hotProjections } from '@tandem/models';
import { compileProjections } from '../src/index.js';
import {
  FEED_SESSION_SETUP,
  LAG_COUNTED_IN_READ,
  PostgresSource,
  READ_WINDOW_SQL,
} from '../src/postgres-source.js';

const skip = testDialect() !== 'postgresql' && 'PostgreSQL only: SQLite reads the outbox by its primary key';

let db: MigratedTestDatabase;
let client: pg.Client;

before(async () => {
  if (skip) return;
  db = await createMigratedDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  // Events already read (below the position a caught-up feed holds), as a bulk load and then a
  // stream of small transactions leave them before autovacuum first analyzes the table (kept from
  // doing so here, so the planner has no statistics).
  await client.query('alter table change_event set (autovacuum_enabled = false)');
  await client.query(
    `insert into change_event (table_name, op, record_id, txid)
     select 'orders', 'insert', g::text, txid_current() from generate_series(1, 100000) g`,
  );
  await client.query(`create procedure tandem_test_events(n int) language plpgsql as $$
    begin
      for i in 1..n loop
        insert into change_event (table_name, op, record_id, txid) values ('sessions', 'update', i::text, txid_current());
        commit;
      end loop;
    end $$`);
  await client.query('set synchronous_commit = off');
  await client.query('call tandem_test_events(10000)');
  await client.query('drop procedure tandem_test_events');
});

after(async () => {
  await client?.end();
  await db?.close();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

function* nodes(plan: PlanNode): Generator<PlanNode> {
  yield plan;
  for (const child of plan.Plans ?? []) yield* nodes(child);
}

test("a caught-up feed's read uses the txid index, never a scan of the kept events", { skip }, async () => {
  // Past every event above: a transaction elsewhere on the server may hold the snapshot's xmin below
  // them (tests of other databases run beside this one), which would leave them in the lag.
  const { rows } = await client.query<{ position: string }>('select txid_current()::text as position');
  const position = rows[0]!.position;
  // Read ahead, with transactions that were running above the watermark at the last read, and
  // without (the relay's read).
  const above = String(BigInt(position) + 5n);
  for (const params of [
    [position, 100_000, above, [String(BigInt(position) + 1n), String(BigInt(position) + 3n)], true],
    [position, 100_000, position, [], false],
  ]) {
    const explained = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `explain (format json) ${READ_WINDOW_SQL}`,
      params,
    );
    const plan = explained.rows[0]!['QUERY PLAN'][0]!.Plan;
    const outboxReads = [...nodes(plan)].filter((node) => node['Relation Name'] === 'change_event');
    assert.ok(outboxReads.length >= 2, 'the plan reads change_event for the lag and for the events');
    for (const node of outboxReads)
      assert.notEqual(node['Node Type'], 'Seq Scan', `change_event is read by ${node['Node Type']}`);
  }

  // The feed sends the read as a prepared statement: after five executions PostgreSQL may plan it once
  // without the parameters' values (a generic plan) and keep that plan. The plan it keeps must not
  // scan the outbox either. And caught up, reading ahead, nothing committed is left unread: of the
  // outbox reads only the events' one may run (not the lag count; not the read of the transactions
  // running at the last read, there were none), in a plan made for the values and in one made
  // without them.
  const outboxReadsRun = (plan: PlanNode) =>
    [...nodes(plan)].filter((node) => node['Relation Name'] === 'change_event' && node['Actual Loops']! > 0)
      .length;
  const analyzed = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
    `explain (analyze, format json) ${READ_WINDOW_SQL}`,
    [position, 100_000, position, [], true],
  );
  assert.equal(outboxReadsRun(analyzed.rows[0]!['QUERY PLAN'][0]!.Plan), 1, 'custom plan: one outbox read');
  const literal = `${position}, 100000, ${position}, '{}'::bigint[], true`;
  await client.query(
    `prepare read_window_check(bigint, int, bigint, bigint[], boolean) as ${READ_WINDOW_SQL}`,
  );
  try {
    for (let i = 0; i < 6; i++) await client.query(`execute read_window_check(${literal})`);
    const kept = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `explain (format json) execute read_window_check(${literal})`,
    );
    for (const node of nodes(kept.rows[0]!['QUERY PLAN'][0]!.Plan))
      if (node['Relation Name'] === 'change_event')
        assert.notEqual(node['Node Type'], 'Seq Scan', `the kept plan reads change_event by a Seq Scan`);
    await client.query('set plan_cache_mode = force_generic_plan');
    const generic = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `explain (analyze, format json) execute read_window_check(${literal})`,
    );
    assert.equal(outboxReadsRun(generic.rows[0]!['QUERY PLAN'][0]!.Plan), 1, 'generic plan: one outbox read');
  } finally {
    await client.query('reset plan_cache_mode');
    await client.query('deallocate read_window_check');
  }

  // And the read itself: nothing pending, nothing to apply, the window where the feed is.
  const read = await client.query<{ upto: string; pending: number; table_name: string | null }>(
    READ_WINDOW_SQL,
    [position, 100_000, position, [], true],
  );
  assert.equal(read.rows.length, 1);
  assert.equal(read.rows[0]!.pending, 0);
  assert.equal(read.rows[0]!.table_name, null);
  assert.ok(BigInt(read.rows[0]!.upto) >= BigInt(position));
});

test('a lag past what the read counts is still counted exactly', { skip }, async () => {
  // Without reading ahead (the relay's read), a transaction left open holds the window where it
  // began, and one that commits after it is the lag. Reading ahead, it is read at once.
  const holding = new pg.Client({ connectionString: db.url });
  const writing = new pg.Client({ connectionString: db.url });
  await holding.connect();
  await writing.connect();
  const source = new PostgresSource(db.url, [], { readAhead: false });
  const readingAhead = new PostgresSource(db.url, []);
  try {
    await holding.query('begin');
    const { rows } = await holding.query<{ txid: string }>('select txid_current()::text as txid');
    const lag = LAG_COUNTED_IN_READ + 500;
    await writing.query(
      `insert into change_event (table_name, op, record_id, txid)
       select 'orders', 'update', g::text, txid_current() from generate_series(1, $1::int) g`,
      [lag],
    );
    await source.connect(
      () => undefined,
      () => undefined,
    );
    const read = await source.read(rows[0]!.txid);
    assert.equal(read.position, rows[0]!.txid, 'the window waits for the open transaction');
    assert.equal(read.events, 0);
    assert.equal(read.pending, lag);

    await readingAhead.connect(
      () => undefined,
      () => undefined,
    );
    const ahead = await readingAhead.read(rows[0]!.txid);
    assert.equal(ahead.events, lag, 'the committed transaction is read past the open one');
    assert.equal(ahead.pending, 0);
    assert.equal((await readingAhead.read(ahead.position)).events, 0, 'and only once');
    await holding.query('commit');
  } finally {
    await source.close();
    await readingAhead.close();
    await holding.end();
    await writing.end();
  }
});

test(
  'a re-read keeps looking rows up by id after its table grows past the size its plan was made for',
  { skip },
  async () => {
    // What the feed's connection runs (FEED_SESSION_SETUP, then each re-read as a named statement):
    // big catch-up batches while a table is small make the plan kept after five executions a scan of
    // the whole table, which it stays while the table grows without new statistics.
    const products = compileProjections(
      hotProjections,
      (name) => db.orm.getMetadata().find(name) ?? undefined,
      'postgresql',
    ).find((p) => p.collection === 'products')!;
    await client.query('alter table products set (autovacuum_enabled = false)');
    const { rows } = await client.query<{ id: number }>(
      `insert into categories (name, slug) values ('Plan', 'plan') returning id`,
    );
    const addProducts = (from: number, count: number) =>
      client.query(
        `insert into products (sku, name, price_cents, currency, stock, category_id, published)
       select 'plan-' || g, 'plan', 100, 'EUR', 1, $1, true from generate_series($2::int, $3::int) g`,
        [rows[0]!.id, from, from + count - 1],
      );
    await addProducts(1, 1000);
    const feed = new pg.Client({ connectionString: db.url });
    await feed.connect();
    try {
      await feed.query(FEED_SESSION_SETUP);
      const batch = Array.from({ length: 500 }, (_, i) => i + 1);
      for (let i = 0; i < 6; i++)
        await feed.query({ name: 'reread_products', text: products.rereadSql, values: [batch] });
      await addProducts(1001, 100_000);
      const kept = await feed.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
        `explain (format json) execute reread_products('{1,2,3}')`,
      );
      const reads = [...nodes(kept.rows[0]!['QUERY PLAN'][0]!.Plan)].filter(
        (node) => node['Relation Name'] === 'products',
      );
      assert.equal(reads.length, 1);
      assert.notEqual(reads[0]!['Node Type'], 'Seq Scan', 'the kept plan reads products whole');
    } finally {
      await feed.end();
    }
  },
);
