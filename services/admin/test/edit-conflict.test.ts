/**
 * A save never overwrites a change its form did not show. A change made before "Save" is caught by
 * the form check (the updatedAt the form echoes no longer matches: 400); this is the narrow window
 * after it: a change committed while the save runs, as the applier cancelling an order through the
 * API at that moment. The save reads the row under its lock and refuses, and the change stands.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Order, User } from '@tandem/models';
import { testDialect, whileAnotherWriterHolds } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

interface ActionBody {
  record?: { params: Record<string, unknown> };
  notice?: { message: string; type: string };
}

describe(`an edit over a change its form did not show (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
  });
  after(() => fixture.close());

  const em = () => fixture.db.orm.em.fork();

  async function pendingOrder(email: string): Promise<number> {
    const fork = em();
    const user = fork.create(User, { email, passwordHash: 'x' });
    const order = fork.create(Order, {
      user,
      status: 'pending',
      currency: 'EUR',
      totalCents: 500,
      lines: [{ productId: 1, quantity: 1, unitPriceCents: 500 }],
    });
    await fork.flush();
    return order.id;
  }

  /** What the edit page shows of the order: the form sends its updatedAt back. */
  async function shownVersion(id: number): Promise<string> {
    const { body } = await root.api<ActionBody>(`/resources/Order/records/${id}/edit`);
    return String(body.record?.params.updatedAt);
  }

  it('an unchanged record saves with the version it was opened at, and the next save needs the new one', async () => {
    const id = await pendingOrder('version-ok@shop.example');
    const saved = await root.api<ActionBody>(`/resources/Order/records/${id}/edit`, {
      form: { status: 'paid', updatedAt: await shownVersion(id) },
    });
    assert.equal(saved.body.notice?.type, 'success', JSON.stringify(saved.body));
    assert.equal((await em().findOneOrFail(Order, id)).status, 'paid');
    assert.notEqual(String(saved.body.record?.params.updatedAt), '', 'the answer carries the new version');
    const again = await root.api<ActionBody>(`/resources/Order/records/${id}/edit`, {
      form: { status: 'shipped', updatedAt: String(saved.body.record?.params.updatedAt) },
    });
    assert.equal(again.body.notice?.type, 'success', JSON.stringify(again.body));
  });

  it(
    'a change committed while the save runs: the save waits for the row, then refuses; the change stands',
    { skip: testDialect() !== 'postgresql' && 'SQLite has one writer at a time (no row locks to wait on)' },
    async () => {
      const id = await pendingOrder('version-race@shop.example');
      const shown = await shownVersion(id);
      const url = fixture.db.target.dialect === 'postgresql' ? fixture.db.target.url : '';
      const { body } = await whileAnotherWriterHolds(
        url,
        // The other writer: its change to the row is made and held, not yet committed.
        (writer) =>
          writer.query(
            `update orders set status = 'cancelled', updated_at = now() + interval '1 second' where id = $1`,
            [id],
          ),
        () =>
          root.api<ActionBody>(`/resources/Order/records/${id}/edit`, {
            form: { status: 'paid', updatedAt: shown },
          }),
      );
      assert.equal(body.notice?.type, 'error', JSON.stringify(body));
      assert.match(
        body.notice?.message ?? '',
        /^This order was changed at .*: nothing was saved\. Reload the page/,
      );
      assert.equal((await em().findOneOrFail(Order, id)).status, 'cancelled', 'not overwritten');
    },
  );
});
