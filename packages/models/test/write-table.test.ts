/**
 * The `writes` table (issue 15) as the migrations build it, on the dialect under test: the table queue
 * inserts queued rows with database ids, the Redis queue's applier inserts outcome rows with the
 * queue's ids, an Idempotency-Key is unique per subject (and absent keys never collide), and the
 * hand-written CHECKs hold the status and operation to their values for writers that bypass the ORM.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMigratedDatabase, testDialect, type MigratedTestDatabase } from '../src/test-database.js';
import { Write } from '../src/index.js';

describe(`the writes table (${testDialect()})`, () => {
  let db: MigratedTestDatabase;
  before(async () => {
    db = await createMigratedDatabase();
  });
  after(() => db.close());

  const row = (columns: Record<string, unknown> = {}) => ({
    subject: '7',
    collection: 'orders',
    op: 'create',
    status: 'queued',
    body: JSON.stringify({ lines: [{ productId: 1, quantity: 1 }] }),
    body_hash: 'a'.repeat(64),
    partition: 0,
    // As the ORM stores a date: epoch milliseconds on SQLite, a timestamp on PostgreSQL.
    accepted_at: testDialect() === 'sqlite' ? Date.now() : new Date(),
    ...columns,
  });
  const insert = (columns: Record<string, unknown> = {}) =>
    db.orm.em.getKnex().table('writes').insert(row(columns));

  test('the ORM writes and reads a queued write and its outcome (milliseconds kept)', async () => {
    const em = db.orm.em.fork();
    const acceptedAt = new Date('2026-12-01T10:00:00.123Z');
    const write = em.create(Write, {
      subject: 'client:sync',
      collection: 'products',
      op: 'update',
      recordId: '3',
      status: 'queued',
      body: { stock: 4 },
      bodyHash: 'b'.repeat(64),
      idempotencyKey: 'key-1',
      ifMatch: '"abc"',
      sessionId: 's-1',
      partition: 3,
      acceptedAt,
    });
    await em.flush();
    write.status = 'rejected';
    write.httpStatus = 412;
    write.errors = { _: 'The record changed.' };
    write.appliedAt = new Date('2026-12-01T10:00:00.456Z');
    await em.flush();
    const loaded = await db.orm.em.fork().findOneOrFail(Write, write.id);
    assert.equal(loaded.status, 'rejected');
    assert.equal(loaded.httpStatus, 412);
    assert.deepEqual(loaded.errors, { _: 'The record changed.' });
    assert.deepEqual(loaded.body, { stock: 4 });
    assert.equal(loaded.acceptedAt.getTime(), acceptedAt.getTime());
    assert.equal(loaded.appliedAt?.toISOString(), '2026-12-01T10:00:00.456Z');
  });

  test('an explicit id (the Redis queue’s) is accepted; a delete has no body', async () => {
    const em = db.orm.em.fork();
    em.create(Write, {
      id: 900_000,
      subject: '7',
      collection: 'orders',
      op: 'delete',
      recordId: '12',
      status: 'applied',
      httpStatus: 204,
      body: null,
      bodyHash: 'c'.repeat(64),
      partition: 1,
      acceptedAt: new Date(),
      appliedAt: new Date(),
    });
    await em.flush();
    const loaded = await db.orm.em.fork().findOneOrFail(Write, 900_000);
    assert.equal(loaded.body, null);
    assert.equal(loaded.op, 'delete');
  });

  test('an Idempotency-Key is unique per subject; writes without one never collide', async () => {
    await insert({ idempotency_key: 'k-1' });
    await insert({ idempotency_key: 'k-1', subject: '8' });
    await assert.rejects(insert({ idempotency_key: 'k-1' }), /unique|UNIQUE/);
    await insert();
    await insert();
    // What the table queue relies on: a conflicting insert does nothing, then the first write is read.
    const knex = db.orm.em.getKnex();
    await knex
      .table('writes')
      .insert(row({ idempotency_key: 'k-1' }))
      .onConflict(['subject', 'idempotency_key'])
      .ignore();
    assert.equal(
      (await knex.table('writes').where({ subject: '7', idempotency_key: 'k-1' }).count({ n: '*' }))[0]?.n,
      testDialect() === 'postgresql' ? '1' : 1,
    );
  });

  test('raw SQL is held to the statuses, operations and partitions the write path knows', async () => {
    await insert({ status: 'applied', op: 'update' });
    const refused: [string, Record<string, unknown>][] = [
      ['an unknown status', { status: 'done' }],
      ['a status in another case', { status: 'Queued' }],
      ['an unknown operation', { op: 'upsert' }],
      ['a negative partition', { partition: -1 }],
      ['no subject', { subject: null }],
    ];
    for (const [label, columns] of refused)
      await assert.rejects(insert(columns), /constraint|violates|check|null/i, label);
  });
});
