/**
 * @tandem/client's writes against the real auth and fast services and a real `tandem applier`: an order
 * placed and its outcome awaited (the record exactly as GET serves it), a retry with the same
 * Idempotency-Key answered by the first write, a write left queued and its outcome read later, a cancel
 * with If-Match, and each kind of refusal as an ApiError with its field errors.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword } from '@tandem/accounts';
import { ApiError, type TandemClient } from '@tandem/client';
import { Role, User } from '@tandem/models';
import { eventually, sqlitePassOnly, testDialect } from '@tandem/models/testing';
import { E2E_SECRET_KEY } from '../support/admin-process.js';
import { useClientServices } from '../support/client-services.js';
import type { RecordingFetch } from '../support/recording-fetch.js';
import { WRITER_SCOPES, startApplier, stopCommand } from '../support/writes-stack.js';

const skip = sqlitePassOnly(
  'the client sends the same requests whatever the database; the write path on PostgreSQL has its own ' +
    'end-to-end suites (writes-failures, the fast service’s writes tests)',
);
const WRITER_EMAIL = 'writer@example.com';
const WRITER_PASSWORD = 'writer test password';

const services = useClientServices({
  products: 5,
  skip,
  seed: async (db) => {
    const em = db.orm.em.fork();
    const role = em.create(Role, { name: 'buyer', scopes: [...WRITER_SCOPES], permissions: [] });
    const user = em.create(User, { email: WRITER_EMAIL, passwordHash: await hashPassword(WRITER_PASSWORD) });
    user.roles.add(role);
    await em.flush();
  },
});
let client: TandemClient;
let recording: RecordingFetch;

before(async () => {
  if (skip) return;
  await services.ready;
  const applier = await startApplier('applier', {
    DATABASE_URL: services.db.url,
    TANDEM_SECRET_KEY: E2E_SECRET_KEY,
  });
  services.closeAtEnd(() => stopCommand(applier));
  ({ client, recording } = services.recordedClient());
  await client.tokens.password({ username: WRITER_EMAIL, password: WRITER_PASSWORD });
});

/** SKU-3 has 3 in stock (seedReaderCatalog gives SKU-i i units at 100 × i cents). */
const SKU_3 = 3;

test(
  `create waits for the outcome: the order as GET serves it, priced by the source (${testDialect()})`,
  { skip },
  async () => {
    const placed = await client.collections.orders.create({ lines: [{ productId: SKU_3, quantity: 1 }] });
    assert.equal(placed.state, 'applied');
    if (placed.state !== 'applied') return;
    assert.equal(placed.status, 201);
    assert.equal(placed.replayed, false);
    assert.ok(placed.record && placed.etag, 'the record and its ETag, as GET serves them');
    assert.equal(placed.record.status, 'pending');
    assert.deepEqual(placed.record.lines, [{ productId: SKU_3, quantity: 1, unitPriceCents: 300 }]);
    assert.equal(placed.location, `/v1/orders/${placed.record.id}`);
    const sent = recording.exchanges.find(
      (exchange) => exchange.method === 'POST' && exchange.url.endsWith('/v1/orders'),
    )!;
    assert.equal(sent.requestHeaders.get('prefer'), 'wait=10');
    assert.equal(sent.requestHeaders.get('idempotency-key'), placed.idempotencyKey);
    assert.match(placed.idempotencyKey, /^[0-9a-f-]{36}$/, 'a UUID made for the write');

    // The answer is kept like a GET's: the next read revalidates it (304) instead of downloading it.
    assert.deepEqual(await client.collections.orders.get(placed.record.id), placed.record);
    const read = recording.exchanges.at(-1)!;
    assert.equal(read.requestHeaders.get('if-none-match'), placed.etag);
    assert.equal(read.status, 304);

    // The same key again: the first write answers; nothing is placed twice.
    const again = await client.collections.orders.create(
      { lines: [{ productId: SKU_3, quantity: 1 }] },
      { idempotencyKey: placed.idempotencyKey },
    );
    assert.equal(again.replayed, true);
    assert.equal(again.state === 'applied' && again.record?.id, placed.record.id);
    const mine = await client.collections.orders.list({ limit: 100 });
    assert.equal(mine.items.filter((order) => order.lines[0]?.productId === SKU_3).length, 1);
  },
);

test(
  `wait: 0 answers once queued; the outcome is read from writes (${testDialect()})`,
  { skip },
  async () => {
    const queued = await client.collections.orders.create(
      { lines: [{ productId: 1, quantity: 1 }] },
      { wait: 0, idempotencyKey: 'client-writes-queued-1' },
    );
    assert.equal(queued.state, 'queued');
    if (queued.state !== 'queued') return;
    assert.equal(queued.status, 202);
    assert.equal(queued.location, `/v1/writes/${queued.writeId}`);
    assert.equal(
      recording.exchanges
        .find((exchange) => exchange.requestHeaders.get('idempotency-key') === 'client-writes-queued-1')
        ?.requestHeaders.get('prefer'),
      null,
      'no Prefer header',
    );
    await eventually('the applier applied it', async () => {
      const write = await client.collections.writes.get(queued.writeId).catch(() => undefined);
      return write?.status === 'applied';
    });
    const outcome = await client.collections.writes.get(queued.writeId);
    assert.equal(outcome.httpStatus, 201);
  },
);

test(
  `update cancels with If-Match; a second cancel is a 409 with the reason (${testDialect()})`,
  { skip },
  async () => {
    const placed = await client.collections.orders.create({ lines: [{ productId: 2, quantity: 1 }] });
    assert.ok(placed.state === 'applied' && placed.record && placed.etag);
    const cancelled = await client.collections.orders.update(
      placed.record.id,
      { status: 'cancelled' },
      { ifMatch: placed.etag },
    );
    assert.equal(cancelled.state, 'applied');
    assert.equal(cancelled.state === 'applied' && cancelled.record?.status, 'cancelled');
    const sent = recording.exchanges.find((exchange) => exchange.method === 'PATCH')!;
    assert.equal(sent.requestHeaders.get('content-type'), 'application/merge-patch+json');
    assert.equal(sent.requestHeaders.get('if-match'), placed.etag);

    // The old version's ETag: refused at once.
    const stale = await client.collections.orders
      .update(placed.record.id, { status: 'cancelled' }, { ifMatch: placed.etag })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    assert.ok(stale instanceof ApiError, String(stale));
    assert.equal(stale.status, 412);
    const twice = await client.collections.orders.update(placed.record.id, { status: 'cancelled' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(twice instanceof ApiError, String(twice));
    assert.deepEqual([twice.status, twice.code], [409, 'conflict']);
    assert.match(twice.errors.status ?? '', /Only a pending order can be cancelled; this one is cancelled/);
  },
);

test(
  `refusals are ApiErrors with field errors; writes a collection does not take are never sent (${testDialect()})`,
  { skip },
  async () => {
    const outOfStock = await client.collections.orders
      .create({ lines: [{ productId: 4, quantity: 5 }] })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    assert.ok(outOfStock instanceof ApiError, String(outOfStock));
    assert.deepEqual([outOfStock.status, outOfStock.code], [422, 'rejected']);
    assert.match(outOfStock.errors.lines ?? '', /out of stock/);

    // A body the compiler would refuse, sent anyway (plain JavaScript): refused at the edge, per field.
    const invalid = await client.collections.orders.create({ lines: [] } as never).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(invalid instanceof ApiError, String(invalid));
    assert.deepEqual([invalid.status, invalid.code], [422, 'validation_failed']);
    assert.ok(invalid.errors.lines, JSON.stringify(invalid.errors));

    const before = recording.exchanges.length;
    await assert.rejects(client.collections.orders.delete(1), /orders takes no deletes/);
    await assert.rejects(client.collections.categories.create({} as never), /categories takes no creates/);
    assert.equal(recording.exchanges.length, before, 'nothing was sent');
  },
);
