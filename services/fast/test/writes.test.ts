/**
 * The write path end to end on a real fast service, a real queue and the real applier (issue 15):
 * POST → 202 + Location → applied → visible at GET; `Prefer: wait` answers with the record's bytes
 * exactly as GET serves them; rejections; cancel (PATCH) with stock restored; If-Match; Idempotency-Key
 * (sequential and parallel retries queue one write); GET /v1/writes/{id} of a queued write. Each runs
 * on the `writes` table queue, and on Redis Streams when REDIS_URL is set.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WRITE_HOT_SECONDS } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { revokeSession, startUserSession } from '@tandem/tokens';
import { eventually } from './support/fast.js';
import { bearer, get } from './support/http.js';
import { createUsers } from './support/orders.js';
import { openLive } from './support/ws.js';
import {
  REDIS_SKIP,
  productIds,
  productStock,
  send,
  startWriteHarness,
  writeRows,
  writerToken,
  type QueueKind,
  type WriteHarness,
} from './support/writes.js';

for (const queue of ['table', 'redis'] as const satisfies readonly QueueKind[]) {
  describe(
    `writes through the ${queue} queue (${testDialect()})`,
    { skip: queue === 'redis' && REDIS_SKIP },
    () => {
      let h: WriteHarness;
      let alice: number;
      let bob: number;
      let aliceToken: string;
      let bobToken: string;
      let products: number[];
      const url = (path: string) => `${h.fast.url}${path}`;
      const order = (productId: number, quantity = 1) => ({ lines: [{ productId, quantity }] });

      before(async () => {
        // No hold limit: these orders test the applier's other rules with thousands of units (the
        // limit has its own tests: writes-attacks.test.ts here, buyer-holds.test.ts in @tandem/writes).
        h = await startWriteHarness({ queue, env: { ORDER_HOLD_MAX_UNITS: '0' } });
        [alice, bob] = (await createUsers(h, `writer-${queue}`, 2)) as [number, number];
        aliceToken = await writerToken(h, alice);
        bobToken = await writerToken(h, bob);
        products = await productIds(h);
        await eventually('the catalog is served', () => h.fast.store.get('products')!.size === 3);
      });
      after(() => h?.close());

      test('POST answers 202 with the write id and its Location; the order appears at GET for its owner', async () => {
        const stock = await productStock(h, products[2]!);
        const reply = await send('POST', url('/v1/orders'), { token: aliceToken, body: order(products[2]!) });
        assert.equal(reply.status, 202, reply.text);
        assert.deepEqual(Object.keys(reply.json), ['id', 'status']);
        assert.equal(reply.json.status, 'queued');
        assert.equal(reply.headers.location, `/v1/writes/${reply.json.id}`);
        let outcome: { status: string; httpStatus: number; recordId: string; subject: string } | undefined;
        await eventually(
          'the write is applied',
          async () => {
            const read = await get(url(`/v1/writes/${reply.json.id}`), bearer(aliceToken));
            outcome = read.status === 200 && read.json.status === 'applied' ? read.json : undefined;
            return outcome !== undefined;
          },
          30_000,
        );
        assert.equal(outcome!.httpStatus, 201);
        assert.equal(outcome!.subject, String(alice));
        const placed = await get(url(`/v1/orders/${outcome!.recordId}`), bearer(aliceToken));
        assert.equal(placed.status, 200);
        assert.equal(placed.json.userId, alice, 'the owner is the token, not anything in the body');
        assert.equal(placed.json.status, 'pending');
        assert.equal(placed.json.totalCents, 300, 'priced from the product when applied');
        assert.equal(await productStock(h, products[2]!), stock - 1);
        // The outcome is the writer's: another user gets the missing record's 404.
        const theirs = await get(url(`/v1/writes/${reply.json.id}`), bearer(bobToken));
        assert.equal(theirs.status, 404);
        assert.equal((await get(url(`/v1/orders/${outcome!.recordId}`), bearer(bobToken))).status, 404);
      });

      test('Prefer: wait answers 201 with the order exactly as GET serves it, its ETag and Location', async () => {
        const reply = await send('POST', url('/v1/orders'), {
          token: aliceToken,
          body: order(products[2]!),
          headers: { prefer: 'wait=30' },
        });
        assert.equal(reply.status, 201, reply.text);
        assert.equal(reply.headers['preference-applied'], 'wait=30');
        assert.match(String(reply.headers.location), /^\/v1\/orders\/[1-9][0-9]*$/);
        const read = await get(url(String(reply.headers.location)), bearer(aliceToken));
        assert.equal(reply.text, read.text, 'the same bytes');
        assert.equal(reply.headers.etag, read.headers.etag);
        // A wait longer than WRITE_WAIT_MAX_SECONDS is cut to it, and says so.
        const capped = await send('POST', url('/v1/orders'), {
          token: aliceToken,
          body: order(products[1]!),
          headers: { prefer: 'respond-async, wait=3600' },
        });
        assert.equal(capped.status, 201, capped.text);
        assert.equal(capped.headers['preference-applied'], `wait=${h.config.writes.waitMaxSeconds}`);
      });

      test('a rejected order (out of stock, not for sale) answers 422 with field errors; nothing is sold', async () => {
        const stock = await productStock(h, products[0]!);
        const tooMany = await send('POST', url('/v1/orders'), {
          token: bobToken,
          body: order(products[0]!, stock + 1),
          headers: { prefer: 'wait=30' },
        });
        assert.equal(tooMany.status, 422, tooMany.text);
        assert.equal(tooMany.json.error, 'rejected');
        assert.equal(typeof tooMany.json.errors.lines, 'string');
        assert.equal(tooMany.headers['preference-applied'], 'wait=30');
        assert.equal(await productStock(h, products[0]!), stock);
        const [draft] = await h.sql(`select id from products where sku = 'DRAFT'`);
        const unpublished = await send('POST', url('/v1/orders'), {
          token: bobToken,
          body: order(Number(draft.id)),
          headers: { prefer: 'wait=30' },
        });
        assert.equal(unpublished.status, 422);
        assert.match(unpublished.json.errors.lines, /not available/);
        assert.equal(unpublished.headers.location, undefined, 'a rejection names no record');
      });

      test('cancelling (PATCH status) restores the stock; cancelling again is refused', async () => {
        const product = products[2]!;
        const placed = await send('POST', url('/v1/orders'), {
          token: bobToken,
          body: order(product),
          headers: { prefer: 'wait=30' },
        });
        assert.equal(placed.status, 201, placed.text);
        const stock = await productStock(h, product);
        const path = String(placed.headers.location);
        const cancel = await send('PATCH', url(path), {
          token: bobToken,
          body: { status: 'cancelled' },
          headers: { prefer: 'wait=30', 'content-type': 'application/merge-patch+json' },
        });
        assert.equal(cancel.status, 200, cancel.text);
        assert.equal(cancel.json.status, 'cancelled');
        const read = await get(url(path), bearer(bobToken));
        assert.equal(cancel.text, read.text);
        assert.equal(await productStock(h, product), stock + 1);
        const again = await send('PATCH', url(path), {
          token: bobToken,
          body: { status: 'cancelled' },
          headers: { prefer: 'wait=30' },
        });
        assert.ok([409, 422].includes(again.status), again.text);
        assert.equal(typeof again.json.errors, 'object');
        assert.equal(await productStock(h, product), stock + 1, 'restored once');
      });

      test('If-Match: a stale ETag is refused with 412 at once (nothing queued); the current one is applied', async () => {
        const placed = await send('POST', url('/v1/orders'), {
          token: aliceToken,
          body: order(products[1]!),
          headers: { prefer: 'wait=30' },
        });
        assert.equal(placed.status, 201, placed.text);
        const path = String(placed.headers.location);
        const rows = await writeRows(h);
        const stale = await send('PATCH', url(path), {
          token: aliceToken,
          body: { status: 'cancelled' },
          headers: { 'if-match': '"AAAAAAAAAAAAAAAAAAAAAA"' },
        });
        assert.equal(stale.status, 412, stale.text);
        assert.equal(stale.json.error, 'precondition_failed');
        const weak = await send('PATCH', url(path), {
          token: aliceToken,
          body: { status: 'cancelled' },
          headers: { 'if-match': `W/${placed.headers.etag}` },
        });
        assert.equal(weak.status, 412, 'If-Match compares strongly: a weak tag never matches');
        assert.equal(await writeRows(h), rows, 'nothing queued');
        const current = await send('PATCH', url(path), {
          token: aliceToken,
          body: { status: 'cancelled' },
          headers: { 'if-match': String(placed.headers.etag), prefer: 'wait=30' },
        });
        assert.equal(current.status, 200, current.text);
        assert.notEqual(current.headers.etag, placed.headers.etag);
      });

      test('Idempotency-Key: a retry gets the same write; another body under the key is 422', async () => {
        const key = randomUUID();
        const body = order(products[2]!);
        const first = await send('POST', url('/v1/orders'), {
          token: aliceToken,
          body,
          headers: { 'idempotency-key': key },
        });
        assert.equal(first.status, 202, first.text);
        const retry = await send('POST', url('/v1/orders'), {
          token: aliceToken,
          body,
          headers: { 'idempotency-key': key },
        });
        assert.equal(retry.status, 202);
        assert.equal(retry.json.id, first.json.id);
        assert.equal(retry.headers['idempotent-replayed'], 'true');
        // After it was applied, a waiting retry gets the outcome of that same write.
        const waited = await send('POST', url('/v1/orders'), {
          token: aliceToken,
          body,
          headers: { 'idempotency-key': key, prefer: 'wait=30' },
        });
        assert.equal(waited.status, 201, waited.text);
        const outcome = await get(url(`/v1/writes/${first.json.id}`), bearer(aliceToken));
        assert.equal(waited.headers.location, `/v1/orders/${outcome.json.recordId}`);
        const reused = await send('POST', url('/v1/orders'), {
          token: aliceToken,
          body: order(products[1]!),
          headers: { 'idempotency-key': key },
        });
        assert.equal(reused.status, 422);
        assert.equal(reused.json.error, 'idempotency_key_reused');
        // Keys are per subject: Bob's request under Alice's key is his own write.
        const bobs = await send('POST', url('/v1/orders'), {
          token: bobToken,
          body,
          headers: { 'idempotency-key': key, prefer: 'wait=30' },
        });
        assert.equal(bobs.status, 201, bobs.text);
        assert.notEqual(bobs.headers.location, waited.headers.location);
      });

      test('parallel requests with one Idempotency-Key queue exactly one write and one order', async () => {
        const key = randomUUID();
        const [before] = await h.sql('select count(*) as n from orders where user_id = ?', [alice]);
        const stock = await productStock(h, products[2]!);
        const replies = await Promise.all(
          Array.from({ length: 20 }, () =>
            send('POST', url('/v1/orders'), {
              token: aliceToken,
              body: order(products[2]!),
              headers: { 'idempotency-key': key, prefer: 'wait=30' },
            }),
          ),
        );
        const ids = new Set(replies.map((r) => r.headers.location));
        assert.deepEqual(
          replies.map((r) => r.status),
          replies.map(() => 201),
          replies.map((r) => r.text).join('\n'),
        );
        assert.equal(ids.size, 1, 'every retry names the same order');
        const [afterwards] = await h.sql('select count(*) as n from orders where user_id = ?', [alice]);
        assert.equal(Number(afterwards.n), Number(before.n) + 1);
        assert.equal(await productStock(h, products[2]!), stock - 1);
      });

      test('GET /v1/writes/{id} says "queued" to its writer until the applier gets to it, 404 to others', async () => {
        await h.stopApplier();
        const queuedIds: number[] = [];
        const bobLive = await openLive(h.fast.url, { token: bobToken });
        const aliceLive = await openLive(h.fast.url, { token: aliceToken });
        try {
          const reply = await send('POST', url('/v1/orders'), { token: bobToken, body: order(products[1]!) });
          assert.equal(reply.status, 202);
          const mine = await get(url(`/v1/writes/${reply.json.id}`), bearer(bobToken));
          assert.equal(mine.status, 200, mine.text);
          assert.equal(mine.json.id, reply.json.id);
          assert.equal(mine.json.status, 'queued');
          const theirs = await get(url(`/v1/writes/${reply.json.id}`), bearer(aliceToken));
          const missing = await get(url('/v1/writes/999999999'), bearer(aliceToken));
          assert.equal(theirs.status, 404);
          assert.equal(theirs.text, missing.text.replace('999999999', String(reply.json.id)));
          // A wait that runs out answers 202, saying it waited.
          const waited = await send('POST', url('/v1/orders'), {
            token: bobToken,
            body: order(products[1]!),
            headers: { prefer: 'wait=1' },
          });
          assert.equal(waited.status, 202);
          assert.equal(waited.headers['preference-applied'], 'wait=1');
          queuedIds.push(reply.json.id, waited.json.id);
          assert.equal(h.fast.writes.waiters.size, 0, 'no waiter left behind');
          // The outcome is pushed on the topic writes/{id}, to its writer only.
          const topic = `writes/${reply.json.id}`;
          for (const client of [bobLive, aliceLive]) {
            client.send({ type: 'subscribe', topic });
            await client.next((f) => f.type === 'subscribed' && f.topic === topic, `subscribed to ${topic}`);
          }
          await h.startApplier();
          const pushed = await bobLive.next(
            (f) => f.type === 'change' && f.topic === topic && f.data?.status === 'applied',
            'the applied outcome',
          );
          assert.equal(pushed.data.httpStatus, 201);
          await new Promise((resolve) => setTimeout(resolve, 200));
          assert.deepEqual(
            aliceLive.frames.filter((f) => f.type === 'change'),
            [],
            'another writer hears nothing of it',
          );
        } finally {
          bobLive.close();
          aliceLive.close();
          await h.startApplier();
        }
        // Nothing accepted was lost while no applier ran.
        for (const id of queuedIds)
          await eventually(
            `write ${id} is applied`,
            async () => (await get(url(`/v1/writes/${id}`), bearer(bobToken))).json?.status === 'applied',
            30_000,
          );
      });

      test('an order priced past what an order may total after it was accepted is rejected with the reason; the order behind it is applied', async () => {
        // Accepted at the price served then (9000 × 2.00 EUR); the price is 2,500.00 EUR when applied,
        // 2,250,000,000 cents in all: more than orders.total_cents (a PostgreSQL int) holds.
        const product = products[1]!;
        const [was] = await h.sql(`select price_cents, stock from products where id = ?`, [product]);
        await h.stopApplier();
        try {
          await h.sql(`update products set stock = 10000 where id = ?`, [product]);
          const dear = await send('POST', url('/v1/orders'), { token: bobToken, body: order(product, 9000) });
          assert.equal(dear.status, 202, dear.text);
          await h.sql(`update products set price_cents = 250000 where id = ?`, [product]);
          const next = await send('POST', url('/v1/orders'), {
            token: aliceToken,
            body: order(products[0]!),
          });
          assert.equal(next.status, 202, next.text);
          await h.startApplier();
          const outcomeOf = async (id: number, token: string) => {
            let read:
              { status: string; httpStatus: number; errors: Record<string, string> | null } | undefined;
            await eventually(
              `write ${id} has an outcome`,
              async () => {
                const reply = await get(url(`/v1/writes/${id}`), bearer(token));
                read = reply.status === 200 && reply.json.status !== 'queued' ? reply.json : undefined;
                return read !== undefined;
              },
              30_000,
            );
            return read!;
          };
          const refused = await outcomeOf(dear.json.id, bobToken);
          assert.deepEqual([refused.status, refused.httpStatus], ['rejected', 422]);
          assert.match(
            refused.errors!.lines!,
            /^Line 1 \(9000 × 250000 cents\) comes to more than an order may total \(2147483647 cents\)/,
          );
          const applied = await outcomeOf(next.json.id, aliceToken);
          assert.deepEqual([applied.status, applied.httpStatus], ['applied', 201]);
          assert.equal(await productStock(h, product), 10_000, 'the refused order took nothing');
        } finally {
          await h.startApplier();
          await h.sql(`update products set price_cents = ?, stock = ? where id = ?`, [
            Number(was.price_cents),
            Number(was.stock),
            product,
          ]);
        }
      });

      test('a write whose session is revoked for security before it is applied is void: 403 session_revoked, nothing sold', async () => {
        await h.stopApplier();
        const settings = { sessionAbsoluteTtlSeconds: 3600 };
        const session = await startUserSession(
          h.db.orm.em.fork(),
          bob,
          ['orders:write'],
          settings,
          new Date(),
        );
        const sessionToken = await h.issuer.sign({
          sub: String(bob),
          scope: 'orders:read orders:write writes:read',
          sid: session.sid,
        });
        const stock = await productStock(h, products[1]!);
        const reply = await send('POST', url('/v1/orders'), {
          token: sessionToken,
          body: order(products[1]!),
        });
        assert.equal(reply.status, 202, reply.text);
        // The same session's second write waits for its outcome (Prefer: wait).
        const waiting = send('POST', url('/v1/orders'), {
          token: sessionToken,
          body: order(products[1]!),
          headers: { prefer: 'wait=30' },
        });
        await eventually('the second write is queued', () => h.fast.writes.waiters.size === 1);
        // Bob's password is changed (e.g. after the token leaked) while the writes wait in the queue.
        assert.equal(await revokeSession(h.db.orm.em.fork(), session.sid, 'password_changed'), true);
        await eventually('fast knows the revocation', async () => {
          return (await get(url(`/v1/writes/${reply.json.id}`), bearer(sessionToken))).status === 401;
        });
        await h.startApplier();
        const waited = await waiting;
        assert.equal(waited.status, 403, waited.text);
        assert.equal(waited.json.error, 'session_revoked');
        assert.match(waited.json.message, /revoked/);
        // Bob, signed in again, sees the first write's outcome: refused, and why.
        let outcome: { status: string; httpStatus: number; errors: Record<string, string> } | undefined;
        await eventually(
          'the write is decided',
          async () => {
            const read = await get(url(`/v1/writes/${reply.json.id}`), bearer(bobToken));
            outcome = read.status === 200 && read.json.status !== 'queued' ? read.json : undefined;
            return outcome !== undefined;
          },
          30_000,
        );
        assert.equal(outcome!.status, 'rejected');
        assert.equal(outcome!.httpStatus, 403);
        assert.match(outcome!.errors._!, /session this write was sent with was revoked/);
        assert.equal(await productStock(h, products[1]!), stock, 'nothing sold');
        // A retry after signing in again is a new write (a new Idempotency-Key), and is applied.
        const retried = await send('POST', url('/v1/orders'), {
          token: bobToken,
          body: order(products[1]!),
          headers: { prefer: 'wait=30' },
        });
        assert.equal(retried.status, 201, retried.text);
      });

      test('a machine client writes products (generic handler): create, update, delete', async () => {
        const client = await h.issuer.sign({
          sub: 'client:catalog-sync',
          scope: 'products:write catalog:read writes:read',
        });
        const [category] = await h.sql('select id from categories order by id limit 1');
        const product = { sku: `W-${queue}`, name: 'Written', priceCents: 250, currency: 'EUR' };
        const twice = await send('POST', url('/v1/products'), {
          token: client,
          body: { ...product, categoryId: Number(category.id), tags: ['iron', 'iron'] },
        });
        assert.equal(twice.status, 422, twice.text);
        assert.match(twice.json.errors.tags, /duplicate items/);
        const created = await send('POST', url('/v1/products'), {
          token: client,
          body: {
            sku: `W-${queue}`,
            name: 'Written',
            priceCents: 250,
            currency: 'EUR',
            categoryId: Number(category.id),
          },
          headers: { prefer: 'wait=30' },
        });
        assert.equal(created.status, 201, created.text);
        const id = Number(/\/v1\/products\/(\d+)$/.exec(String(created.headers.location))?.[1]);
        assert.ok(id > 0, String(created.headers.location));
        const [row] = await h.sql('select name, price_cents from products where id = ?', [id]);
        assert.equal(row.name, 'Written');
        // Unpublished, so not served: the answer is the write's outcome, not a record GET would show.
        assert.equal(created.json.status, 'applied');
        const renamed = await send('PATCH', url(`/v1/products/${id}`), {
          token: client,
          body: { name: 'Renamed' },
        });
        assert.equal(renamed.status, 404, 'a record the collection does not serve cannot be targeted');
        const [published] = await h.sql(`select min(id) as id from products where sku like 'SKU-%'`);
        const patched = await send('PATCH', url(`/v1/products/${published.id}`), {
          token: client,
          body: { name: 'Product one, renamed' },
          headers: { prefer: 'wait=30' },
        });
        assert.equal(patched.status, 200, patched.text);
        assert.equal(patched.json.name, 'Product one, renamed');
        const deleted = await send('DELETE', url(`/v1/products/${published.id}`), {
          token: client,
          headers: { prefer: 'wait=30' },
        });
        assert.equal(deleted.status, 204, deleted.text);
        assert.equal(deleted.text, '');
        await eventually(
          'the product is gone from the collection',
          () => h.fast.store.get('products')!.get(Number(published.id)) === undefined,
          30_000,
        );
      });

      test('a waiting retry of a write settled before the hot window gets its outcome from the table', async () => {
        const key = randomUUID();
        const body = order(products[2]!);
        const headers = { 'idempotency-key': key, prefer: 'wait=30' };
        const placed = await send('POST', url('/v1/orders'), { token: aliceToken, body, headers });
        assert.equal(placed.status, 201, placed.text);
        // WRITE_HOT_SECONDS later (keys are kept 24 h): the outcome has left fast's memory, and the table
        // says it settled longer ago than that.
        h.fast.store.sweep(Date.now() + WRITE_HOT_SECONDS * 1000 + 60_000);
        const settledAt = Date.now() - 2 * WRITE_HOT_SECONDS * 1000;
        await h.sql('update writes set applied_at = ? where idempotency_key = ?', [
          testDialect() === 'postgresql' ? new Date(settledAt).toISOString() : settledAt,
          key,
        ]);
        const writes = h.fast.store.get('writes')!;
        assert.equal(writes.size, 0);
        const retry = await send('POST', url('/v1/orders'), {
          token: aliceToken,
          body,
          headers: { ...headers, prefer: 'wait=20' },
        });
        assert.equal(retry.status, 201, retry.text);
        assert.equal(retry.headers['idempotent-replayed'], 'true');
        assert.equal(retry.headers.location, placed.headers.location, 'the same order');
        assert.equal(retry.text, placed.text, 'its bytes as GET serves them');
        // Another writer's retry under the same key is their own new write, never Alice's outcome.
        const bobs = await send('POST', url('/v1/orders'), { token: bobToken, body, headers });
        assert.equal(bobs.status, 201, bobs.text);
        assert.notEqual(bobs.headers.location, placed.headers.location);
      });
    },
  );
}
