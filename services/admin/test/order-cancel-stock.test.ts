/**
 * An order staff cancel in the admin puts back the stock that placing it through the API took
 * (`stockTaken`), as the owner's cancel through the API does, and so does deleting it: before, it held
 * that stock for ever.
 * Shipped goods have left: cancelling a shipped order puts nothing back. On PostgreSQL the save locks
 * the order's products before the order, the order every applier batch takes them in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, Order, Product, User, type OrderStatus } from '@tandem/models';
import { rowIsFree, testDialect, whileAnotherWriterHolds } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

interface ActionBody {
  record?: { params: Record<string, unknown>; errors?: Record<string, { message: string; type: string }> };
  notice?: { message: string; type: string };
}

describe(`an order cancelled by staff puts its stock back (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  let owner: number;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
    const em = fixture.db.orm.em.fork();
    const user = em.create(User, { email: 'stock-owner@shop.example', passwordHash: 'x' });
    await em.flush();
    owner = user.id;
  });
  after(() => fixture.close());

  const em = () => fixture.db.orm.em.fork();
  const stockOf = async (id: number) => (await em().findOneOrFail(Product, id)).stock;

  /**
   * An order as the applier places one: 2 of the first product and 1 of the second taken from stock
   * (or 1 of each product given).
   */
  async function placedOrder(status: OrderStatus, only?: readonly number[]): Promise<number> {
    const [first, second] = fixture.ids.products as [number, number];
    const taken = only
      ? only.map((productId) => ({ productId, quantity: 1 }))
      : [
          { productId: first, quantity: 2 },
          { productId: second, quantity: 1 },
        ];
    const fork = em();
    const order = fork.create(Order, {
      user: owner,
      status,
      currency: 'EUR',
      totalCents: taken.reduce((sum, line) => sum + line.quantity * 500, 0),
      lines: taken.map((line) => ({ ...line, unitPriceCents: 500 })),
      stockTaken: taken,
    });
    await fork.flush();
    return order.id;
  }

  async function cancel(id: number): Promise<ActionBody> {
    const shown = await root.api<ActionBody>(`/resources/Order/records/${id}/edit`);
    const { body } = await root.api<ActionBody>(`/resources/Order/records/${id}/edit`, {
      form: { status: 'cancelled', updatedAt: String(shown.body.record?.params.updatedAt) },
    });
    return body;
  }

  it('a pending or paid order: its stockTaken goes back, once, with the audited status change', async () => {
    const [first, second] = fixture.ids.products as [number, number];
    for (const status of ['pending', 'paid'] as const) {
      const id = await placedOrder(status);
      const before = [await stockOf(first), await stockOf(second)];
      const body = await cancel(id);
      assert.equal(body.notice?.type, 'success', JSON.stringify(body));
      assert.deepEqual(
        [await stockOf(first), await stockOf(second)],
        [before[0]! + 2, before[1]! + 1],
        status,
      );
      const stored = await em().findOneOrFail(Order, id);
      assert.deepEqual([stored.status, stored.stockTaken], ['cancelled', null]);
      const audit = await em().find(AuditEntry, { model: 'Order', recordId: String(id), action: 'update' });
      assert.deepEqual(
        audit.map((entry) => entry.diff),
        [{ status: { before: status, after: 'cancelled' } }],
      );
      // Saved again (nothing to put back any more): the stock stays where it is.
      const again = await cancel(id);
      assert.equal(again.notice?.type, 'success', JSON.stringify(again));
      assert.deepEqual([await stockOf(first), await stockOf(second)], [before[0]! + 2, before[1]! + 1]);
    }
  });

  it('a pending order deleted here puts its stock back too; a bulk delete likewise', async () => {
    const [first, second] = fixture.ids.products as [number, number];
    const before = [await stockOf(first), await stockOf(second)];
    const single = await placedOrder('pending');
    const deleted = await root.api<ActionBody>(`/resources/Order/records/${single}/delete`, { form: {} });
    assert.equal(deleted.body.notice?.type, 'success', JSON.stringify(deleted.body));
    assert.equal(await em().findOne(Order, single), null);
    assert.deepEqual([await stockOf(first), await stockOf(second)], [before[0]! + 2, before[1]! + 1]);
    const both = [await placedOrder('paid'), await placedOrder('shipped')];
    const bulk = await root.api<ActionBody>(`/resources/Order/bulk/bulkDelete?recordIds=${both.join(',')}`, {
      form: {},
    });
    assert.equal(bulk.body.notice?.type, 'success', JSON.stringify(bulk.body));
    // The paid one's goods come back; the shipped one's have left.
    assert.deepEqual([await stockOf(first), await stockOf(second)], [before[0]! + 4, before[1]! + 2]);
  });

  it('a shipped order: nothing goes back', async () => {
    const [first] = fixture.ids.products as [number];
    const id = await placedOrder('shipped');
    const before = await stockOf(first);
    assert.equal((await cancel(id)).notice?.type, 'success');
    assert.equal(await stockOf(first), before);
  });

  it('a shipped order does not go back to pending or paid: from there its goods would come back', async () => {
    const [first] = fixture.ids.products as [number];
    const id = await placedOrder('shipped');
    const before = await stockOf(first);
    // The attack: shipped → paid → cancelled put back stock for goods that had left; shipped → pending
    // left it to the hold's sweep to do the same.
    for (const status of ['paid', 'pending'] as const) {
      const shown = await root.api<ActionBody>(`/resources/Order/records/${id}/edit`);
      const { body } = await root.api<ActionBody>(`/resources/Order/records/${id}/edit`, {
        form: { status, updatedAt: String(shown.body.record?.params.updatedAt) },
      });
      assert.equal(body.notice?.type, 'error', JSON.stringify(body));
      assert.equal(body.record?.errors?.status?.type, 'stays_shipped', status);
      assert.match(body.record?.errors?.status?.message ?? '', /^A shipped order stays shipped/);
      assert.equal((await em().findOneOrFail(Order, id)).status, 'shipped', status);
    }
    assert.equal((await cancel(id)).notice?.type, 'success', 'cancelling it is still allowed');
    assert.equal(await stockOf(first), before, 'and puts nothing back');
    const audit = await em().find(AuditEntry, { model: 'Order', recordId: String(id) });
    assert.deepEqual(
      audit.map((entry) => entry.diff),
      [{ status: { before: 'shipped', after: 'cancelled' } }],
    );
  });

  it('a cancelled order is not reopened: its stock went back and may be sold by now', async () => {
    const [first] = fixture.ids.products as [number];
    const id = await placedOrder('pending');
    assert.equal((await cancel(id)).notice?.type, 'success');
    const before = await stockOf(first);
    for (const status of ['pending', 'paid', 'shipped'] as const) {
      const shown = await root.api<ActionBody>(`/resources/Order/records/${id}/edit`);
      const { status: httpStatus, body } = await root.api<ActionBody>(`/resources/Order/records/${id}/edit`, {
        form: { status, updatedAt: String(shown.body.record?.params.updatedAt) },
      });
      assert.equal(httpStatus, 200);
      assert.equal(body.notice?.type, 'error', JSON.stringify(body));
      assert.equal(body.record?.errors?.status?.type, 'stays_cancelled', status);
      assert.match(body.record?.errors?.status?.message ?? '', /^A cancelled order stays cancelled/);
      assert.equal((await em().findOneOrFail(Order, id)).status, 'cancelled', status);
    }
    assert.equal(await stockOf(first), before, 'nothing taken or given back');
    const audit = await em().find(AuditEntry, { model: 'Order', recordId: String(id) });
    assert.equal(audit.length, 1, 'only the cancel was recorded');
  });

  it(
    "takes the order's products before the order: while another writer holds a product, the order stays free",
    { skip: testDialect() !== 'postgresql' && 'SQLite has one writer at a time (no row locks)' },
    async () => {
      const [first] = fixture.ids.products as [number];
      const id = await placedOrder('pending');
      const before = await stockOf(first);
      const url = fixture.db.target.dialect === 'postgresql' ? fixture.db.target.url : '';
      const body = await whileAnotherWriterHolds(
        url,
        // An applier batch would take the product first; this one holds it.
        (writer) => writer.query('select id from products where id = $1 for update', [first]),
        () => cancel(id),
        // The order is not locked meanwhile: whoever holds its products may take it (no deadlock).
        async (probe) => assert.ok(await rowIsFree(probe, 'orders', id)),
      );
      assert.equal(body.notice?.type, 'success', JSON.stringify(body));
      assert.equal(await stockOf(first), before + 2);
    },
  );

  it(
    "a bulk delete takes every selected order's products before any order",
    { skip: testDialect() !== 'postgresql' && 'SQLite has one writer at a time (no row locks)' },
    async () => {
      const [first, second] = fixture.ids.products as [number, number];
      const [a, b] = [await placedOrder('pending', [first]), await placedOrder('pending', [second])];
      const before = [await stockOf(first), await stockOf(second)];
      const url = fixture.db.target.dialect === 'postgresql' ? fixture.db.target.url : '';
      const { body } = await whileAnotherWriterHolds(
        url,
        // The second order's product is held: the delete waits there before it has locked either order.
        (writer) => writer.query('select id from products where id = $1 for update', [second]),
        () => root.api<ActionBody>(`/resources/Order/bulk/bulkDelete?recordIds=${a},${b}`, { form: {} }),
        async (probe) =>
          assert.ok(
            await rowIsFree(probe, 'orders', a),
            'the first order is not locked while a product is awaited',
          ),
      );
      assert.equal(body.notice?.type, 'success', JSON.stringify(body));
      assert.deepEqual([await stockOf(first), await stockOf(second)], [before[0]! + 1, before[1]! + 1]);
    },
  );
});
