/**
 * Attack: read the names of records one may not view through history. A staff member who may view
 * orders (not users) opens an order whose owner changed; one who may view products (not categories)
 * opens a product that changed category; one who may read the audit log (nothing else) opens the
 * entries of a user's account (a new account's email is withheld from its diff, and the list sends
 * no diff). History names a related record only for staff who may search its
 * model (the filter chips' and pickers' rule); the others see ids, not the emails and names behind
 * them. Runs on SQLite and PostgreSQL (DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, Order, Role, User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';
import { staffWith } from './staff-support.js';

interface ShowAnswer {
  record?: { params: Record<string, unknown> };
}

const FORMER_OWNER = 'former-owner@shop.example';
const NEW_OWNER = 'new-owner@shop.example';
const ACCOUNT = 'account-in-the-log@shop.example';
const CREATED = 'created-in-the-log@shop.example';

describe(`attack: names of unviewable records through history (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  const ids = { order: 0, former: 0, next: 0, account: 0, role: 0, product: 0 };
  const em = () => fixture.db.orm.em.fork();

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
    const db = em();
    const former = db.create(User, { email: FORMER_OWNER, passwordHash: 'x' });
    const next = db.create(User, { email: NEW_OWNER, passwordHash: 'x' });
    const account = db.create(User, { email: ACCOUNT, passwordHash: 'x' });
    const role = db.create(Role, { name: 'Secret project team', scopes: [], permissions: [] });
    const order = db.create(Order, {
      user: former,
      status: 'pending',
      currency: 'EUR',
      totalCents: 2500,
      lines: [{ productId: 1, quantity: 1, unitPriceCents: 2500 }],
    });
    await db.flush();
    Object.assign(ids, {
      order: order.id,
      former: former.id,
      next: next.id,
      account: account.id,
      role: role.id,
      product: fixture.ids.products[0],
    });
    // The superuser moves the order to another owner, the spade from "Garden tools" to "Kitchen",
    // and gives the account a role: each an audit entry naming related records by id.
    for (const [path, form] of [
      [`/resources/Order/records/${ids.order}/edit`, { user: String(ids.next) }],
      [`/resources/Product/records/${ids.product}/edit`, { category: String(fixture.ids.categories[1]) }],
      [`/resources/User/records/${ids.account}/edit`, { 'roles.0': String(ids.role) }],
    ] as const) {
      const { status, body } = await root.api(path, { form });
      assert.equal(status, 200, JSON.stringify(body));
    }
  });
  after(() => fixture.close());

  const params = (answer: { body: ShowAnswer }) => answer.body.record?.params ?? {};
  const json = (value: unknown) => JSON.parse(String(value)) as Record<string, Record<string, unknown>>;

  it('view_order alone: an order’s former owner is an id, not an email', async () => {
    const viewer = await staffWith(fixture, 'order-viewer@example.com', ['view_order']);
    assert.equal((await viewer.api('/resources/User/actions/search/shop')).status, 403, 'no user search');
    const shown = await viewer.api<ShowAnswer>(`/resources/Order/records/${ids.order}/show`);
    assert.equal(shown.status, 200);
    assert.deepEqual(json(params(shown).historyNames), {
      user: { [String(ids.former)]: null, [String(ids.next)]: null },
    });
    assert.ok(!JSON.stringify(shown.body).includes(FORMER_OWNER), 'the former owner’s email is not sent');
    // With view_user too, the same history names both owners.
    const userViewer = await staffWith(fixture, 'order-and-user-viewer@example.com', [
      'view_order',
      'view_user',
    ]);
    const named = await userViewer.api<ShowAnswer>(`/resources/Order/records/${ids.order}/show`);
    assert.deepEqual(json(params(named).historyNames), {
      user: { [String(ids.former)]: FORMER_OWNER, [String(ids.next)]: NEW_OWNER },
    });
  });

  it('view_product alone: the categories a product moved between are ids, not names', async () => {
    const viewer = await staffWith(fixture, 'product-viewer@example.com', ['view_product']);
    assert.equal((await viewer.api('/resources/Category/actions/search/Garden')).status, 403);
    const shown = await viewer.api<ShowAnswer>(`/resources/Product/records/${ids.product}/show`);
    assert.equal(shown.status, 200);
    const [tools, kitchen] = fixture.ids.categories.map(String);
    assert.deepEqual(json(params(shown).historyNames), { category: { [tools!]: null, [kitchen!]: null } });
    assert.ok(!JSON.stringify(shown.body).includes('Garden tools'), 'the former category is not named');
    // change_product brings the category picker, so its names (the picker's rule, not view alone).
    const editor = await staffWith(fixture, 'product-editor@example.com', ['view_product', 'change_product']);
    const named = await editor.api<ShowAnswer>(`/resources/Product/records/${ids.product}/show`);
    assert.deepEqual(json(params(named).historyNames), {
      category: { [tools!]: 'Garden tools', [kitchen!]: 'Kitchen' },
    });
  });

  it('view_auditentry alone: an entry’s record and related records are ids, not emails or names', async () => {
    const reader = await staffWith(fixture, 'log-reader@example.com', ['view_auditentry']);
    assert.equal((await reader.api('/resources/User/actions/list')).status, 403, 'no user list');
    const entries = await em().find(AuditEntry, {
      $or: [
        { model: 'User', recordId: String(ids.account) },
        { model: 'Order', recordId: String(ids.order) },
      ],
    });
    assert.equal(entries.length, 2);
    for (const entry of entries) {
      const shown = await reader.api<ShowAnswer>(`/resources/AuditEntry/records/${entry.id}/show`);
      assert.equal(shown.status, 200);
      const text = JSON.stringify(shown.body);
      for (const secret of [ACCOUNT, FORMER_OWNER, NEW_OWNER, 'Secret project team'])
        assert.ok(!text.includes(secret), `${secret} is not sent to an audit log reader`);
      assert.equal(params(shown).recordTitle, null);
      assert.equal(params(shown).recordNamed, false, 'the page says #id, not "no longer exists"');
      const names = Object.values(json(params(shown).namesJson));
      assert.ok(
        names.length > 0 && names.every((byId) => Object.values(byId).every((name) => name === null)),
      );
    }
    // A new account's entry holds its email as a value of the diff: withheld as its name is, on the
    // show page, and not sent at all by the list (whose rows never show a diff).
    const created = await root.api<{ record?: { id: string | number } }>('/resources/User/actions/new', {
      form: { email: CREATED, password: 'correct horse battery staple' },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const createdId = String(created.body.record!.id);
    const creation = await em().findOneOrFail(AuditEntry, {
      model: 'User',
      recordId: createdId,
      action: 'create',
    });
    assert.equal((creation.diff.email as { after: unknown }).after, CREATED, 'the entry holds the email');
    const shownCreation = await reader.api<ShowAnswer>(`/resources/AuditEntry/records/${creation.id}/show`);
    assert.equal(shownCreation.status, 200);
    assert.ok(!JSON.stringify(shownCreation.body).includes(CREATED), 'the new account’s email is not sent');
    assert.deepEqual(json(params(shownCreation).diffJson).email, { before: null, after: '(hidden)' });
    assert.equal(json(params(shownCreation).diffJson).isStaff?.after, false, 'other values stay');
    const listed = await reader.api('/resources/AuditEntry/actions/list?filters.model=User&perPage=500');
    assert.equal(listed.status, 200);
    const listedText = JSON.stringify(listed.body);
    assert.ok(listedText.includes(`"recordId":"${createdId}"`), 'the entry is listed');
    assert.ok(!listedText.includes(CREATED), 'the list sends no diff');
    // With view_user too, the user's entry names its account (and links it).
    const userReader = await staffWith(fixture, 'log-and-user-reader@example.com', [
      'view_auditentry',
      'view_user',
    ]);
    const userEntry = entries.find((entry) => entry.model === 'User')!;
    const named = await userReader.api<ShowAnswer>(`/resources/AuditEntry/records/${userEntry.id}/show`);
    assert.equal(params(named).recordTitle, ACCOUNT);
    assert.equal(params(named).recordNamed, true);
    const namedCreation = await userReader.api<ShowAnswer>(
      `/resources/AuditEntry/records/${creation.id}/show`,
    );
    assert.deepEqual(json(params(namedCreation).diffJson).email, { before: null, after: CREATED });
  });

  it('view_auditentry alone: a filter on the diff it is not sent reads nothing out of it', async () => {
    const reader = await staffWith(fixture, 'guessing-reader@example.com', ['view_auditentry']);
    // The account's entry holds its email in the diff: a filter matching it, and one matching nothing.
    const right = `"after":"${ACCOUNT.slice(0, 12)}`;
    const wrong = '"after":"no-such-text-anywhere';
    const filtered = (diff: string, action: 'list' | 'search') =>
      `/resources/AuditEntry/actions/${action}?${new URLSearchParams({
        'filters.model': 'User',
        'filters.recordId': String(ids.account),
        'filters.diff': diff,
      })}`;
    const recordIds = async (path: string) => {
      const answer = await reader.api<{ records?: { id: string | number }[] }>(path);
      assert.equal(answer.status, 200, path);
      return (answer.body.records ?? []).map((record) => String(record.id)).sort();
    };
    for (const action of ['list', 'search'] as const) {
      const matching = await recordIds(filtered(right, action));
      assert.ok(matching.length > 0, `${action}: the account's entries are there`);
      assert.deepEqual(
        await recordIds(filtered(wrong, action)),
        matching,
        `${action}: the diff filter is ignored`,
      );
    }
    const exported = async (diff: string) => {
      const query = new URLSearchParams({ format: 'csv', 'filters.model': 'User', 'filters.diff': diff });
      const response = await reader.request(`/admin/export/AuditEntry?${query}`);
      assert.equal(response.status, 200);
      return response.text();
    };
    assert.equal(await exported(wrong), await exported(right), 'the export ignores it too');
  });
});
