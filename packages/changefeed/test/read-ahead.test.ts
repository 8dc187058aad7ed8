/**
 * A transaction that stays open must not hold back the changes of those that commit after it began:
 * on a shared PostgreSQL server the oldest running transaction is anyone's (another database's, one
 * write applier's batch behind another's), and the feed's watermark cannot pass it. Before the feed
 * read ahead of its watermark, every commit waited for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { testDialect } from '@tandem/models/testing';
import { formatPostgresPosition, parsePostgresPosition } from '../src/postgres-position.js';
import { eventually, productWriterFixture } from './helpers.js';

const skip = testDialect() !== 'postgresql' && 'PostgreSQL only: the transaction-id window';

test(
  'a commit is served while an older transaction is still open, and each change once',
  { skip },
  async () => {
    const fixture = await productWriterFixture();
    const { db, writer, subject, insertProduct } = fixture;
    const holding = new pg.Client({ connectionString: db.url });
    await holding.connect();
    try {
      const served = () => fixture.products().map((product) => product.sku);
      const watermark = () => BigInt(parsePostgresPosition(subject.feed.status().position!).watermark);

      await holding.query('begin');
      await insertProduct(holding, 'HELD');
      const heldTxid = BigInt(
        (await holding.query<{ x: string }>('select pg_current_xact_id()::text as x')).rows[0]!.x,
      );
      // The feed has caught up to the open transaction (it polls while no commit wakes it).
      await eventually('the watermark reaches the open transaction', () => watermark() === heldTxid, 10_000);
      const afterId = await insertProduct(writer, 'AFTER');

      await eventually('the later commit is served', () => served().includes('AFTER'), 10_000);
      assert.ok(!served().includes('HELD'), 'the open transaction is not');
      assert.equal(watermark(), heldTxid, 'the watermark stays at the open transaction');

      await holding.query('commit');
      await eventually('the held commit is served', () => served().includes('HELD'), 10_000);
      const lastId = await insertProduct(writer, 'LAST');
      await eventually('a change after both', () => served().includes('LAST'), 10_000);
      assert.ok(watermark() > heldTxid);
      const appliedTimes = (id: number) =>
        subject.changes.filter((change) => change.collection === 'products' && change.id === id).length;
      assert.equal(appliedTimes(afterId), 1, 'read ahead once, not again when the watermark passed it');
      assert.equal(appliedTimes(lastId), 1);
    } finally {
      await holding.end().catch(() => undefined);
      await fixture.close();
    }
  },
);

test('a position is written as its watermark alone until something above it was read', () => {
  assert.equal(formatPostgresPosition({ watermark: '42', horizon: '42', running: [] }), '42');
  const ahead = { watermark: '42', horizon: '50', running: ['43', '47'] };
  assert.equal(formatPostgresPosition(ahead), '42:50:43,47');
  assert.deepEqual(parsePostgresPosition('42:50:43,47'), ahead);
  assert.deepEqual(parsePostgresPosition('42:50:'), { watermark: '42', horizon: '50', running: [] });
  assert.deepEqual(parsePostgresPosition('42'), { watermark: '42', horizon: '42', running: [] });
  for (const bad of ['', 'x', '42:', '42:50:4x', '-1', '42:50:43,,47'])
    assert.throws(() => parsePostgresPosition(bad), /not a PostgreSQL feed position/);
});
