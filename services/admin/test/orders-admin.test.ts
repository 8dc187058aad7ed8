/**
 * Orders in the admin (issue 14): a page derived from the declaration in order.ts, with filters by
 * status and owner, the Search box on the owner's email, lines edited as JSON text, every change
 * audited, and Django's four permissions (view/add/change/delete_order) from the registry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_PERMISSION_CODENAMES,
  AuditEntry,
  ORDER_STATUSES,
  Order,
  Role,
  User,
  registry,
} from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { deriveAdmin } from '../src/resources/derived.js';
import { staffWith } from './staff-support.js';
import { Client, startFixture, type Fixture } from './support.js';

interface Populated {
  populated: Record<string, { params: Record<string, unknown> } | null>;
}

interface ActionBody {
  records?: ({ id: string; params: Record<string, unknown> } & Populated)[];
  record?: {
    id: string;
    params: Record<string, unknown>;
    errors: Record<string, { message: string }>;
  } & Populated;
  notice?: { message: string; type: string };
  meta?: { total: number };
}

const LINES = [
  { productId: 3, quantity: 2, unitPriceCents: 1999 },
  { productId: 7, quantity: 1, unitPriceCents: 500 },
];

describe(`orders in the admin (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  const owners = { alice: 0, bob: 0, percent: 0 };
  const orderIds: number[] = [];

  before(async () => {
    fixture = await startFixture();
    const em = fixture.db.orm.em.fork();
    const alice = em.create(User, { email: 'alice@shop.example', passwordHash: 'x' });
    const bob = em.create(User, { email: 'bob@shop.example', passwordHash: 'x' });
    // A LIKE wildcard in an address: searching "%" must find this owner only, not everyone.
    const percent = em.create(User, { email: 'fifty%off@shop.example', passwordHash: 'x' });
    const orders = [
      em.create(Order, { user: alice, status: 'paid', currency: 'EUR', totalCents: 4498, lines: LINES }),
      em.create(Order, {
        user: alice,
        status: 'pending',
        currency: 'EUR',
        totalCents: 500,
        lines: [LINES[1]!],
      }),
      em.create(Order, { user: bob, status: 'paid', currency: 'USD', totalCents: 3998, lines: [LINES[0]!] }),
      em.create(Order, {
        user: percent,
        status: 'shipped',
        currency: 'GBP',
        totalCents: 500,
        lines: [LINES[1]!],
      }),
    ];
    await em.flush();
    Object.assign(owners, { alice: alice.id, bob: bob.id, percent: percent.id });
    orderIds.push(...orders.map((order) => order.id));
    root = new Client(fixture.origin);
    assert.equal((await root.login('root@example.com')).status, 302);
  });
  after(() => fixture.close());

  const ids = async (client: Client, query: string) => {
    const { status, body } = await client.api<ActionBody>(`/resources/Order/actions/list?${query}`);
    assert.equal(status, 200, JSON.stringify(body));
    return (body.records ?? []).map((record) => Number(record.id)).sort((a, b) => a - b);
  };

  it('lists every owner’s orders to staff, filtered by status and by owner', async () => {
    assert.deepEqual(await ids(root, ''), orderIds);
    assert.deepEqual(await ids(root, 'filters.status=paid'), [orderIds[0], orderIds[2]]);
    assert.deepEqual(await ids(root, `filters.user=${owners.alice}`), [orderIds[0], orderIds[1]]);
    assert.deepEqual(await ids(root, `filters.user=${owners.alice}&filters.status=paid`), [orderIds[0]]);
    assert.deepEqual(await ids(root, 'filters.user=not-a-number'), orderIds, 'a bad id filters nothing');
  });

  it('offers the four statuses as a choice in the form and the filter', () => {
    const model = registry.find((declaration) => declaration.name === 'Order')!;
    const { options, spec } = deriveAdmin(fixture.db.orm.getMetadata().get('Order'), model);
    assert.deepEqual(
      options.properties?.status?.availableValues?.map((choice) => choice.value),
      [...ORDER_STATUSES],
    );
    assert.deepEqual(options.filterProperties, ['q', 'status', 'user', 'currency', 'createdAt', 'updatedAt']);
    assert.deepEqual(spec.searchFields, ['user.email']);
    assert.deepEqual(spec.jsonText, ['lines', 'stockTaken']);
    // What a cancel puts back is the applier's alone: shown, never written from the form.
    assert.deepEqual(spec.readOnly, ['id', 'createdAt', 'updatedAt', 'stockTaken']);
  });

  it('finds orders by the owner’s email in the Search box (case-insensitive, wildcards literal)', async () => {
    assert.deepEqual(await ids(root, 'filters.q=ALICE@'), [orderIds[0], orderIds[1]]);
    assert.deepEqual(await ids(root, 'filters.q=bob'), [orderIds[2]]);
    assert.deepEqual(await ids(root, `filters.q=${encodeURIComponent('%')}`), [orderIds[3]]);
    assert.deepEqual(await ids(root, `filters.q=${encodeURIComponent("' or 1=1 --")}`), []);
    const { body } = await root.api<ActionBody>('/resources/Order/actions/list?filters.q=shop.example');
    assert.equal(body.meta?.total, 4, 'the count uses the same search');
  });

  it('creates an order from JSON lines with an audit entry; bad input is refused next to the field', async () => {
    const form = {
      user: String(owners.bob),
      status: 'pending',
      currency: 'EUR',
      totalCents: '4498',
      lines: JSON.stringify(LINES),
    };
    const created = await root.api<ActionBody>('/resources/Order/actions/new', { form });
    assert.equal(created.body.notice?.type, 'success', JSON.stringify(created.body));
    const id = Number(created.body.record!.id);
    const order = await fixture.db.orm.em.fork().findOneOrFail(Order, id);
    assert.deepEqual(order.lines, LINES);
    assert.equal(order.user.id, owners.bob);
    const [entry] = await fixture.db.orm.em
      .fork()
      .find(AuditEntry, { model: 'Order', recordId: String(id) }, { orderBy: { id: 'asc' } });
    assert.equal(entry?.action, 'create');
    assert.equal(entry?.actorEmail, 'root@example.com');
    assert.deepEqual(entry?.diff.totalCents, { before: null, after: 4498 });

    const auditsBefore = await fixture.db.orm.em.fork().count(AuditEntry);
    const ordersBefore = await fixture.db.orm.em.fork().count(Order);
    const refused: [Record<string, string>, string, RegExp][] = [
      [{ status: 'refunded' }, 'status', /one of pending, paid, shipped, cancelled/],
      [{ currency: 'eur' }, 'currency', /ISO 4217/],
      [{ totalCents: '-1' }, 'totalCents', /0 or more/],
      [{ totalCents: '100' }, 'totalCents', /sum of the lines: 4498/],
      [{ lines: 'not json' }, 'lines', /Enter valid JSON/],
      [{ lines: '[]' }, 'lines', /at least one line/],
      [
        { lines: '[{"productId":"<script>alert(1)</script>","quantity":1,"unitPriceCents":1}]' },
        'lines',
        /productId/,
      ],
      [
        { lines: '[{"productId":1,"quantity":1,"unitPriceCents":1,"isAdmin":true}]' },
        'lines',
        /unknown keys/,
      ],
      [{ currency: '<script>alert(1)</script>' }, 'currency', /ISO 4217/],
    ];
    for (const [change, field, message] of refused) {
      const { status, body } = await root.api<ActionBody>('/resources/Order/actions/new', {
        form: { ...form, ...change },
      });
      assert.equal(status, 200);
      assert.equal(body.notice?.type, 'error', JSON.stringify(change));
      assert.match(body.record?.errors[field]?.message ?? '', message, JSON.stringify(body.record?.errors));
    }
    // Lines sent as flattened (or nested) keys instead of JSON text are refused, never stored half-read.
    const withoutLines: Record<string, string> = { ...form };
    delete withoutLines.lines;
    const junkForms: Record<string, string>[] = [
      { 'lines.0.productId': '1', 'lines.0.quantity': '1', 'lines.0.unitPriceCents': '500' },
      { 'lines.productId': '1', 'lines.__proto__.isAdmin': 'true' },
    ];
    for (const junk of junkForms) {
      const { status, body } = await root.api<ActionBody>('/resources/Order/actions/new', {
        form: { ...withoutLines, totalCents: '500', ...junk },
      });
      assert.ok(status === 200 || status === 400, `${status} ${JSON.stringify(body)}`);
      assert.notEqual(body.notice?.type, 'success', JSON.stringify(junk));
      if (status === 200) assert.match(body.record?.errors.lines?.message ?? '', /Enter valid JSON/);
    }
    assert.equal(await fixture.db.orm.em.fork().count(Order), ordersBefore, 'nothing stored');
    assert.equal(await fixture.db.orm.em.fork().count(AuditEntry), auditsBefore, 'nothing audited');
  });

  it('edits the status with a field-level audit diff; the lines show as JSON text', async () => {
    const id = orderIds[1]!;
    const shown = await root.api<ActionBody>(`/resources/Order/records/${id}/show`);
    assert.equal(shown.body.record?.params.lines, JSON.stringify([LINES[1]]));
    // stockTaken is the applier's: a form that sends it (so that a later cancel adds stock) is refused.
    const forged = await root.request(`/admin/api/resources/Order/records/${id}/edit`, {
      form: { status: 'cancelled', stockTaken: JSON.stringify([{ productId: 1, quantity: 1000 }]) },
    });
    assert.match(await forged.text(), /forbidden_field/);
    const untouched = await fixture.db.orm.em.fork().findOneOrFail(Order, id);
    assert.deepEqual([untouched.status, untouched.stockTaken], ['pending', null]);
    const { body } = await root.api<ActionBody>(`/resources/Order/records/${id}/edit`, {
      form: { status: 'cancelled' },
    });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    assert.equal((await fixture.db.orm.em.fork().findOneOrFail(Order, id)).status, 'cancelled');
    const entries = await fixture.db.orm.em
      .fork()
      .find(AuditEntry, { model: 'Order', recordId: String(id), action: 'update' });
    assert.deepEqual(
      entries.map((entry) => entry.diff),
      [{ status: { before: 'pending', after: 'cancelled' } }],
    );
  });

  it('has the four permissions, which a role can grant; staff without view_order see no orders', async () => {
    for (const action of ['view', 'add', 'change', 'delete'])
      assert.ok(ALL_PERMISSION_CODENAMES.includes(`${action}_order`), `${action}_order`);
    const role = await root.api<ActionBody>('/resources/Role/actions/new', {
      form: { name: 'order desk', 'permissions.0': 'view_order', 'permissions.1': 'change_order' },
    });
    assert.equal(role.body.notice?.type, 'success', JSON.stringify(role.body));
    const stored = await fixture.db.orm.em.fork().findOneOrFail(Role, { name: 'order desk' });
    assert.deepEqual(stored.permissions, ['view_order', 'change_order']);

    const viewer = await staffWith(fixture, 'order-viewer@example.com', ['view_order']);
    assert.equal((await ids(viewer, '')).length, orderIds.length + 1, 'staff see every owner’s orders');
    const edit = await viewer.request(`/admin/api/resources/Order/records/${orderIds[0]}/edit`, {
      form: { status: 'shipped' },
    });
    assert.equal(edit.status, 403, 'view_order does not let them change one');

    const outsider = await staffWith(fixture, 'catalog-only@example.com', ['view_product']);
    for (const path of [
      '/resources/Order/actions/list',
      `/resources/Order/records/${orderIds[0]}/show`,
      '/resources/Order/actions/search/alice',
      '/resources/Order/actions/list?filters.q=alice',
    ]) {
      const response = await outsider.request(`/admin/api${path}`);
      assert.equal(response.status, 403, path);
      assert.doesNotMatch(await response.text(), /alice@shop\.example|4498/, path);
    }
    assert.equal((await fixture.db.orm.em.fork().findOneOrFail(Order, orderIds[0]!)).status, 'paid');
  });

  it('shows an order’s owner to staff who may not view users by id and email only, not their account', async () => {
    const ownerOf = (record: Populated | undefined) => record?.populated.user?.params ?? {};
    const viewer = await staffWith(fixture, 'order-reader@example.com', ['view_order']);
    const list = await viewer.api<ActionBody>('/resources/Order/actions/list');
    const show = await viewer.api<ActionBody>(`/resources/Order/records/${orderIds[0]}/show`);
    assert.equal(list.status, 200);
    assert.equal(show.status, 200);
    for (const owner of [ownerOf(show.body.record), ...(list.body.records ?? []).map(ownerOf)])
      assert.deepEqual(Object.keys(owner).sort(), ['email', 'id'], JSON.stringify(owner));
    assert.equal(ownerOf(show.body.record).email, 'alice@shop.example');

    // Whoever may view users sees the owner as the user page would (the population is not just cut).
    const full = ownerOf(
      (await root.api<ActionBody>(`/resources/Order/records/${orderIds[0]}/show`)).body.record,
    );
    assert.equal(full.email, 'alice@shop.example');
    assert.ok('isStaff' in full && 'isActive' in full, JSON.stringify(full));
  });
});
