/**
 * Issue 16: a bulk delete says, before it is confirmed, which selected records other rows still use
 * (categories their products, users their orders: `restrict`), with how many rows, the first few by
 * name and a link; a bulk POST that includes one is refused whole, naming each, and deletes nothing.
 * Attacks: names and links only for whoever may view the referring model; a selection of records
 * the staff member may not delete stays 403.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, Category, Order, Product, User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { staffWith } from './staff-support.js';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

interface Blocked {
  id: string;
  title: string;
  references: Array<{
    model: string;
    count: number;
    message: string;
    names: string[];
    listUrl: string | null;
  }>;
}
interface BulkAnswer {
  records?: Array<{ id: string }>;
  blocked?: Blocked[];
  notice?: { message: string; type: string };
  redirectUrl?: string;
}

describe(`bulk delete lists what still uses the selected records (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  let spare: number;
  let shopper: number;
  let orderIds: number[];

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
    const em = fixture.db.orm.em.fork();
    const [tools] = fixture.ids.categories;
    for (let i = 1; i <= 4; i++)
      em.create(Product, {
        sku: `HOE-${i}`,
        name: `Hoe ${i}`,
        priceCents: 100,
        currency: 'EUR',
        stock: 1,
        category: tools!,
        tags: [],
      });
    em.create(Category, { name: 'Spare', slug: 'spare' });
    const user = em.create(User, { email: 'shopper@example.com', passwordHash: 'x' });
    const orders = [1, 2].map((n) =>
      em.create(Order, {
        user,
        currency: 'EUR',
        totalCents: 100 * n,
        lines: [{ productId: 1, quantity: n, unitPriceCents: 100 }],
      }),
    );
    await em.flush();
    spare = (await em.findOneOrFail(Category, { slug: 'spare' })).id;
    shopper = user.id;
    orderIds = orders.map((order) => order.id);
  });
  after(() => fixture.close());

  const bulk = (client: Client, model: string, ids: number[], post = false) =>
    client.api<BulkAnswer>(`/resources/${model}/bulk/bulkDelete?recordIds=${ids.join(',')}`, {
      ...(post ? { form: {} } : {}),
    });

  it('the drawer’s GET names the blocked records: count, first three by name, a link', async () => {
    const [tools, kitchen] = fixture.ids.categories as [number, number];
    const { status, body } = await bulk(root, 'Category', [tools, kitchen, spare]);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.records?.length, 3, 'the selection, as AdminJS’s drawer gets it');
    assert.deepEqual(
      body.blocked?.map(({ id, title, references }) => ({
        id,
        title,
        references: references.map(({ model, count, message, names, listUrl }) => ({
          model,
          count,
          message,
          names,
          listUrl,
        })),
      })),
      [
        {
          id: String(tools),
          title: 'Garden tools',
          references: [
            {
              model: 'Product',
              count: 6,
              message: '6 products use this category.',
              names: ['Spade', 'Rake', 'Hoe 1'],
              listUrl: `/admin/resources/Product?filters.category=${tools}`,
            },
          ],
        },
        {
          id: String(kitchen),
          title: 'Kitchen',
          references: [
            {
              model: 'Product',
              count: 1,
              message: '1 product uses this category.',
              names: ['Frying pan'],
              listUrl: `/admin/resources/Product?filters.category=${kitchen}`,
            },
          ],
        },
      ],
      'Spare is used by nothing, so it is not listed',
    );
  });

  it('users with orders (restrict) are listed with their orders by number', async () => {
    const { body } = await bulk(root, 'User', [shopper]);
    assert.deepEqual(
      body.blocked?.[0]?.references[0]?.names,
      orderIds.map((id) => `#${id}`),
    );
    assert.equal(body.blocked?.[0]?.references[0]?.message, '2 orders use this user.');
  });

  it('a POST that includes a blocked record is refused whole, naming each, and deletes nothing', async () => {
    const [tools, kitchen] = fixture.ids.categories as [number, number];
    const audits = await fixture.db.orm.em.fork().count(AuditEntry);
    const { status, body } = await bulk(root, 'Category', [spare, kitchen, tools], true);
    assert.equal(status, 200);
    assert.equal(body.notice?.type, 'error');
    assert.equal(
      body.notice?.message,
      '"Garden tools": 6 products use this category. "Kitchen": 1 product uses this category. Nothing was deleted.',
    );
    assert.deepEqual(
      body.blocked?.map((record) => record.title),
      ['Garden tools', 'Kitchen'],
    );
    assert.equal(body.redirectUrl, undefined);
    const em = fixture.db.orm.em.fork();
    assert.equal(await em.count(Category, { id: spare }), 1, 'not even the unused one');
    assert.equal(await em.count(AuditEntry), audits);
  });

  it('the records nothing uses, posted alone, are deleted', async () => {
    const { body } = await bulk(root, 'Category', [spare], true);
    assert.equal(body.notice?.type, 'success', JSON.stringify(body.notice));
    assert.equal(await fixture.db.orm.em.fork().count(Category, { id: spare }), 0);
  });

  it('attack: no names or links for whoever may not view the referring rows; no delete without delete_*', async () => {
    const [tools] = fixture.ids.categories as [number];
    const deleter = await staffWith(fixture, 'deleter@example.com', ['view_category', 'delete_category']);
    const { body } = await bulk(deleter, 'Category', [tools]);
    assert.deepEqual(
      body.blocked?.[0]?.references.map(({ count, names, listUrl }) => ({ count, names, listUrl })),
      [{ count: 6, names: [], listUrl: null }],
    );
    const viewer = await staffWith(fixture, 'viewer@example.com', ['view_category', 'view_product']);
    assert.equal((await bulk(viewer, 'Category', [tools])).status, 403);
    assert.equal((await bulk(viewer, 'Category', [tools], true)).status, 403);
    assert.equal(await fixture.db.orm.em.fork().count(Category, { id: tools }), 1);
  });
});
