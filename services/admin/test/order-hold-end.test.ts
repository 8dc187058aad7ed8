/**
 * An order's page shows when its unpaid stock hold ends (ORDER_HOLD_SECONDS after it was placed
 * through the API, when the applier's sweep cancels it): staff see how long the buyer has to pay. The
 * value is worked out when the record is read; a save neither writes nor audits it, and a form that
 * sends the whole record back, as the edit page does, is not refused for carrying it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, Order, User, type OrderStatus } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixture, type Fixture } from './support.js';

interface ActionBody {
  record?: { params: Record<string, unknown>; errors?: Record<string, { message: string }> };
  notice?: { message: string; type: string };
}

interface PageState {
  resources: Array<{ id: string; showProperties: Array<{ propertyPath: string }> }>;
  locale: { translations: { en: { resources: Record<string, { properties: Record<string, string> }> } } };
}

const FIELD = 'stockHeldUntil';

/** Staff logged in on an admin whose hold is `holdSeconds`, and a customer who owns the orders. */
async function adminWithHold(holdSeconds: number) {
  const fixture = await startFixture({ ORDER_HOLD_SECONDS: String(holdSeconds) });
  const root = new Client(fixture.origin);
  assert.equal((await root.login('root@example.com')).status, 302);
  const em = fixture.db.orm.em.fork();
  const user = em.create(User, { email: 'hold-owner@shop.example', passwordHash: 'x' });
  await em.flush();
  return { fixture, root, owner: user.id };
}

/** An order as the applier places one (it took stock), or as staff create one (`stockTaken` null). */
async function orderOf(
  fixture: Fixture,
  owner: number,
  status: OrderStatus,
  placedThroughApi = true,
): Promise<Order> {
  const productId = fixture.ids.products[0]!;
  const em = fixture.db.orm.em.fork();
  const order = em.create(Order, {
    user: owner,
    status,
    currency: 'EUR',
    totalCents: 500,
    lines: [{ productId, quantity: 1, unitPriceCents: 500 }],
    stockTaken: placedThroughApi ? [{ productId, quantity: 1 }] : null,
  });
  await em.flush();
  return order;
}

/** The Order page's shown fields and their labels, from the state the admin's page embeds. */
async function orderPage(root: Client) {
  const html = await (await root.request('/admin')).text();
  const state = JSON.parse(/window\.REDUX_STATE = ([^\n]*);\n/.exec(html)![1]!) as PageState;
  return {
    fields: state.resources
      .find((resource) => resource.id === 'Order')!
      .showProperties.map((property) => property.propertyPath),
    labels: state.locale.translations.en.resources.Order!.properties,
  };
}

describe(`an order's page shows when its stock hold ends (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  let owner: number;

  before(async () => {
    ({ fixture, root, owner } = await adminWithHold(7_200));
  });
  after(() => fixture.close());

  const show = async (id: number) =>
    (await root.api<ActionBody>(`/resources/Order/records/${id}/show`)).body.record?.params;

  it('a pending order placed through the API: created + ORDER_HOLD_SECONDS, after the stock it holds', async () => {
    const order = await orderOf(fixture, owner, 'pending');
    const params = await show(order.id);
    assert.equal(params?.[FIELD], new Date(order.createdAt.getTime() + 7_200_000).toISOString());
    const { fields, labels } = await orderPage(root);
    assert.equal(fields[fields.indexOf('stockTaken') + 1], FIELD, fields.join(', '));
    assert.equal(labels[FIELD], 'Stock held until');
  });

  it('orders that hold nothing: paid, cancelled, or created by staff', async () => {
    for (const [status, placed] of [
      ['paid', true],
      ['cancelled', true],
      ['pending', false],
    ] as const) {
      const order = await orderOf(fixture, owner, status, placed);
      const params = await show(order.id);
      assert.ok(params && FIELD in params, `${status}: the field is there`);
      assert.equal(params[FIELD], null, `${status}, placed through the API: ${placed}`);
    }
  });

  it('the edit page sent back whole is saved; the hold end is neither written nor audited', async () => {
    const order = await orderOf(fixture, owner, 'pending');
    const url = `/resources/Order/records/${order.id}/edit`;
    const opened = (await root.api<ActionBody>(url)).body.record?.params ?? {};
    assert.equal(typeof opened[FIELD], 'string', 'the edit page carries it like any shown value');
    const form = Object.fromEntries(
      Object.entries(opened).map(([key, value]) => [key, value === null ? '' : String(value)]),
    );
    const { body } = await root.api<ActionBody>(url, { form: { ...form, status: 'paid' } });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    assert.equal(body.record?.params[FIELD], null, 'paid: it holds its stock for good');
    const entries = await fixture.db.orm.em
      .fork()
      .find(AuditEntry, { model: 'Order', recordId: String(order.id), action: 'update' });
    assert.equal(entries.length, 1);
    assert.deepEqual(Object.keys(entries[0]!.diff), ['status']);

    // A forged hold end is refused like any other field the form may not write.
    const again = await orderOf(fixture, owner, 'pending');
    const page = `/resources/Order/records/${again.id}/edit`;
    const response = await root.request(`/admin/api${page}`, {
      method: 'POST',
      form: { status: 'pending', [FIELD]: '2099-01-01T00:00:00.000Z' },
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /forbidden_field/);
  });
});

describe(`with ORDER_HOLD_SECONDS=0 an order's page has no hold end (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  let owner: number;

  before(async () => {
    ({ fixture, root, owner } = await adminWithHold(0));
  });
  after(() => fixture.close());

  it('neither the field nor a value: a pending order keeps its stock until someone cancels it', async () => {
    const order = await orderOf(fixture, owner, 'pending');
    const { body } = await root.api<ActionBody>(`/resources/Order/records/${order.id}/show`);
    assert.ok(body.record && !(FIELD in body.record.params));
    const { fields } = await orderPage(root);
    assert.ok(fields.includes('stockTaken') && !fields.includes(FIELD), fields.join(', '));
  });
});
