/**
 * Issue 19: every Django-style admin permission is enforced by the server, not only delete (which
 * records.test.ts covers) and not only by hiding buttons. Each staff member below holds every product
 * permission but one, and sends the API request of the missing one directly, as a script would: the
 * answer is 403 and nothing is read, created or changed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { ALL_PERMISSION_CODENAMES, AuditEntry, Product, Role, User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';

interface ActionBody {
  records?: unknown[];
  record?: unknown;
  exportedData?: string;
  notice?: { message: string; type: string };
}

describe(`view, add and change permissions are enforced server-side (${testDialect()})`, () => {
  let fixture: Fixture;
  const MISSING = ['view_product', 'add_product', 'change_product'] as const;
  /** A logged-in staff member per missing permission. */
  const without = {} as Record<(typeof MISSING)[number], Client>;

  before(async () => {
    fixture = await startFixture();
    const em = fixture.db.orm.em.fork();
    const passwordHash = await hashPassword(PASSWORD);
    // Everything about products and categories, minus the one permission under test.
    const productPermissions = ALL_PERMISSION_CODENAMES.filter(
      (codename) => codename.endsWith('_product') || codename === 'view_category',
    );
    for (const missing of MISSING) {
      const role = em.create(Role, {
        name: `all but ${missing}`,
        scopes: [],
        permissions: productPermissions.filter((codename) => codename !== missing),
      });
      const user = em.create(User, { email: `no-${missing}@example.com`, passwordHash, isStaff: true });
      user.roles.add(role);
    }
    await em.flush();
    for (const missing of MISSING) {
      const client = new Client(fixture.origin);
      assert.equal((await client.login(`no-${missing}@example.com`)).status, 302);
      without[missing] = client;
    }
  });
  after(() => fixture.close());

  const em = () => fixture.db.orm.em.fork();
  const productId = () => fixture.ids.products[0]!;

  it('without view_product: list, show, search and export are 403 and return no records', async () => {
    const client = without.view_product;
    const requests: Array<[string, { method?: string }]> = [
      ['/resources/Product/actions/list', {}],
      [`/resources/Product/records/${productId()}/show`, {}],
      ['/resources/Product/actions/search/spade', {}],
      ['/resources/Product/actions/export', {}],
      ['/resources/Product/actions/export?type=csv', { method: 'POST' }],
    ];
    for (const [path, init] of requests) {
      const { status, body } = await client.api<ActionBody>(path, init);
      assert.equal(status, 403, `${path}: ${JSON.stringify(body)}`);
      assert.ok(!body.records?.length, `${path} leaked records`);
      assert.equal(body.exportedData, undefined, `${path} leaked an export`);
      assert.ok(
        !JSON.stringify(body).includes('SPADE-1'),
        `${path} leaked a product: ${JSON.stringify(body)}`,
      );
    }
    const download = await client.request('/admin/export/Product?format=csv');
    assert.equal(download.status, 403);
    assert.ok(!(await download.text()).includes('SPADE-1'), 'the export download leaked a product');
  });

  it('without add_product: new is 403 and creates nothing', async () => {
    const audits = await em().count(AuditEntry);
    const { status, body } = await without.add_product.api<ActionBody>('/resources/Product/actions/new', {
      form: {
        sku: 'NOADD-1',
        name: 'Not added',
        priceCents: '100',
        currency: 'EUR',
        stock: '1',
        category: String(fixture.ids.categories[0]),
      },
    });
    assert.equal(status, 403, JSON.stringify(body));
    assert.equal(await em().count(Product, { sku: 'NOADD-1' }), 0);
    assert.equal(await em().count(AuditEntry), audits);
  });

  it('without change_product: edit, bulk publish and bulk unpublish are 403 and change nothing', async () => {
    const client = without.change_product;
    const id = productId();
    const audits = await em().count(AuditEntry);
    const edit = await client.api<ActionBody>(`/resources/Product/records/${id}/edit`, {
      form: { name: 'Changed anyway', priceCents: '1' },
    });
    assert.equal(edit.status, 403, JSON.stringify(edit.body));
    const publish = await client.api<ActionBody>(`/resources/Product/bulk/publish?recordIds=${id}`, {
      method: 'POST',
    });
    assert.equal(publish.status, 403, JSON.stringify(publish.body));
    const product = await em().findOneOrFail(Product, id);
    assert.equal(product.name, 'Spade');
    assert.equal(product.priceCents, 2500);
    assert.equal(product.published, false);
    // Unpublish needs a published product to mean anything: publish it as the superuser first.
    await em().nativeUpdate(Product, { id }, { published: true });
    const unpublish = await client.api<ActionBody>(`/resources/Product/bulk/unpublish?recordIds=${id}`, {
      method: 'POST',
    });
    assert.equal(unpublish.status, 403, JSON.stringify(unpublish.body));
    assert.equal((await em().findOneOrFail(Product, id)).published, true);
    assert.equal(await em().count(AuditEntry), audits);
  });

  it('each of them can still do what their role allows (the 403s are about the one permission)', async () => {
    const list = await without.add_product.api<ActionBody>('/resources/Product/actions/list');
    assert.equal(list.status, 200);
    assert.equal(list.body.records?.length, 3);
    const edit = await without.view_product.api<ActionBody>(
      `/resources/Product/records/${fixture.ids.products[1]}/edit`,
      { form: { name: 'Rake, edited blind' } },
    );
    assert.equal(edit.status, 200, JSON.stringify(edit.body));
    assert.equal(edit.body.notice?.type, 'success', JSON.stringify(edit.body));
    const created = await without.change_product.api<ActionBody>('/resources/Product/actions/new', {
      form: {
        sku: 'ADDED-1',
        name: 'Added',
        priceCents: '100',
        currency: 'EUR',
        stock: '1',
        category: String(fixture.ids.categories[0]),
      },
    });
    assert.equal(created.body.notice?.type, 'success', JSON.stringify(created.body));
  });
});
