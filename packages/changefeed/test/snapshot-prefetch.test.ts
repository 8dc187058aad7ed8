import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '@tandem/models/testing';
import { PostgresSource, SqliteSource, type CompiledProjection, type FeedSource } from '../src/index.js';
import { SNAPSHOT_BATCH } from '../src/snapshot-batches.js';

/**
 * The snapshot's cursor asks PostgreSQL for the next batch while the consumer prepares the current one
 * (postgres-source.ts, cursorBatches). These tests hold it to what the one-FETCH-at-a-time reader
 * guaranteed: every row once and in order, whatever the count's remainder; and when the consumer stops
 * or a FETCH fails halfway, the error reaches `snapshot`'s caller, the transaction and cursor are gone
 * (the connection is idle, the next snapshot starts clean), and no prefetch is left unhandled.
 */

const postgresOnly =
  testDialect() !== 'postgresql' && 'PostgreSQL only: SQLite reads its snapshot without a cursor';

let db: MigratedTestDatabase;
before(async () => {
  db = await createMigratedDatabase();
});
after(async () => {
  await db?.close();
});

/** `rows` rows {"n":id} in id order; on PostgreSQL, a division by zero past `failAfter`. */
function seriesSql(rows: number, failAfter?: number): string {
  if (testDialect() === 'postgresql') {
    const json =
      failAfter === undefined
        ? `'{"n":' || id || '}'`
        : `case when id > ${failAfter} then (1 / (id - id))::text else '{"n":' || id || '}' end`;
    // No `order by`: generate_series yields in order, and a sort would build every row's JSON (and
    // so meet the division by zero) before the first FETCH returns.
    return `select id, ${json} as json from generate_series(1, ${rows}) id`;
  }
  return `with recursive s(id) as (select 1 union all select id + 1 from s where id < ${rows})
          select id, '{"n":' || id || '}' as json from s order by id`;
}

function series(sql: string): CompiledProjection {
  return {
    collection: 'series',
    table: 'series',
    scope: 'test',
    filterable: [],
    fields: [],
    snapshotSql: sql,
    rereadSql: sql,
    lookupSql: sql,
  };
}

const APPLICATION = 'tandem-prefetch-test';

async function openSource(sql: string): Promise<FeedSource> {
  const projections = [series(sql)];
  const source =
    db.target.dialect === 'postgresql'
      ? new PostgresSource(db.target.url, projections, { applicationName: APPLICATION })
      : new SqliteSource(db.target.path, projections);
  await source.connect(
    () => undefined,
    () => undefined,
  );
  return source;
}

/** Every batch of the one collection, as the consumer saw it. */
async function readAll(source: FeedSource): Promise<number[][]> {
  return source.snapshot(async (snapshot) => {
    const batches: number[][] = [];
    for await (const rows of snapshot.collections.get('series')!) batches.push(rows.map((r) => r.id));
    return batches;
  });
}

/** The feed connection's state as PostgreSQL reports it ('idle': no transaction left open). */
async function feedConnectionStates(): Promise<string[]> {
  const observer = new pg.Client({ connectionString: db.url });
  await observer.connect();
  try {
    const { rows } = await observer.query<{ state: string }>(
      `select state from pg_stat_activity where datname = current_database() and application_name = $1 and query not ilike 'listen%'`,
      [APPLICATION],
    );
    return rows.map((r) => r.state);
  } finally {
    await observer.end();
  }
}

for (const rows of [2 * SNAPSHOT_BATCH, 2 * SNAPSHOT_BATCH + 7, 5]) {
  test(`${rows} rows arrive once each, in order, in batches of at most ${SNAPSHOT_BATCH}`, async () => {
    const source = await openSource(seriesSql(rows));
    try {
      const batches = await readAll(source);
      assert.ok(batches.every((b) => b.length > 0 && b.length <= SNAPSHOT_BATCH));
      assert.deepEqual(
        batches.flat(),
        Array.from({ length: rows }, (_, i) => i + 1),
      );
    } finally {
      await source.close();
    }
  });
}

test('a consumer that fails halfway fails the snapshot and leaves no transaction or cursor behind', async () => {
  const source = await openSource(seriesSql(3 * SNAPSHOT_BATCH));
  try {
    let seen = 0;
    await assert.rejects(
      source.snapshot(async (snapshot) => {
        for await (const rows of snapshot.collections.get('series')!) {
          seen += rows.length;
          throw new Error('store full');
        }
      }),
      /store full/,
    );
    assert.equal(seen, SNAPSHOT_BATCH);
    if (db.target.dialect === 'postgresql') assert.deepEqual(await feedConnectionStates(), ['idle']);
    // The cursor's name is free again and the connection is outside any transaction: a new snapshot reads all.
    assert.equal((await readAll(source)).flat().length, 3 * SNAPSHOT_BATCH);
  } finally {
    await source.close();
  }
});

test(
  'a FETCH that fails while the previous batch is consumed reaches the consumer, and the transaction is rolled back',
  { skip: postgresOnly },
  async () => {
    // Rows past the first batch divide by zero: the first prefetch, sent before batch 1 is handed out, fails.
    const source = await openSource(seriesSql(3 * SNAPSHOT_BATCH, SNAPSHOT_BATCH + 10));
    try {
      const consumed: number[] = [];
      const failing = () =>
        source.snapshot(async (snapshot) => {
          for await (const rows of snapshot.collections.get('series')!) consumed.push(rows.length);
        });
      await assert.rejects(failing(), /division by zero/);
      assert.deepEqual(
        consumed,
        [SNAPSHOT_BATCH],
        'the first batch, then the error: never a partial one as complete',
      );
      assert.deepEqual(await feedConnectionStates(), ['idle']);
      // Rolled back, not left aborted: the same error again, not "current transaction is aborted".
      await assert.rejects(failing(), /division by zero/);
    } finally {
      await source.close();
    }
  },
);
