/**
 * Issue 16 item 5: deleting a record other rows still refer to (a category its products use) says what
 * refers to it before anything is confirmed, and a delete sent anyway is refused with that reason and
 * deletes nothing, one record or in bulk.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, Category, Product, Role, Session, User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { startUserSession } from '@tandem/tokens';
import { Client, startFixture, type Fixture } from './support.js';

interface DeleteAnswer {
  references?: Array<{ model: string; count: number; message: string; listUrl: string | null }>;
  notice?: { message: string; type: string };
  redirectUrl?: string;
}

describe(`deleting a referenced record says what refers to it (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  let editor: Client;

  before(async () => {
    fixture = await startFixture();
    root = new Client(fixture.origin);
    editor = new Client(fixture.origin);
    assert.equal((await root.login('root@example.com')).status, 302);
    assert.equal((await editor.login('editor@example.com')).status, 302);
  });
  after(() => fixture.close());

  it('the delete drawer’s GET counts the products that use the category, with a link to them', async () => {
    const [tools, kitchen] = fixture.ids.categories;
    const { status, body } = await root.api<DeleteAnswer>(`/resources/Category/records/${tools}/delete`);
    assert.equal(status, 200);
    assert.deepEqual(
      body.references?.map(({ model, count, message }) => ({ model, count, message })),
      [{ model: 'Product', count: 2, message: '2 products use this category.' }],
    );
    assert.equal(body.references?.[0]?.listUrl, `/admin/resources/Product?filters.category=${tools}`);
    const one = await root.api<DeleteAnswer>(`/resources/Category/records/${kitchen}/delete`);
    assert.equal(one.body.references?.[0]?.message, '1 product uses this category.');
  });

  it('a delete posted anyway is refused with the reason, and nothing is deleted or audited', async () => {
    const [tools, kitchen] = fixture.ids.categories;
    const audits = await fixture.db.orm.em.fork().count(AuditEntry);
    const single = await root.api<DeleteAnswer>(`/resources/Category/records/${tools}/delete`, { form: {} });
    assert.equal(single.body.notice?.type, 'error');
    assert.equal(single.body.notice?.message, '2 products use this category. Nothing was deleted.');
    assert.equal(single.body.redirectUrl, undefined);
    const bulk = await root.api<DeleteAnswer>(
      `/resources/Category/bulk/bulkDelete?recordIds=${kitchen},${tools}`,
      { form: {} },
    );
    assert.equal(bulk.body.notice?.type, 'error');
    assert.match(
      bulk.body.notice?.message ?? '',
      /^"(Kitchen|Garden tools)": \d products? uses? this category\./,
    );
    const em = fixture.db.orm.em.fork();
    assert.equal(await em.count(Category), 2);
    assert.equal(await em.count(Product), 3);
    assert.equal(await em.count(AuditEntry), audits);
  });

  it('a category nothing uses is deleted as before', async () => {
    const em = fixture.db.orm.em.fork();
    const spare = em.create(Category, { name: 'Spare', slug: 'spare' });
    await em.flush();
    const look = await root.api<DeleteAnswer>(`/resources/Category/records/${spare.id}/delete`);
    assert.deepEqual(look.body.references, []);
    const done = await root.api<DeleteAnswer>(`/resources/Category/records/${spare.id}/delete`, { form: {} });
    assert.equal(done.body.notice?.type, 'success', JSON.stringify(done.body));
    assert.equal(await fixture.db.orm.em.fork().count(Category, { slug: 'spare' }), 0);
  });

  it('a user with roles and sessions is deleted: join rows and sessions cascade, they do not block', async () => {
    const em = fixture.db.orm.em.fork();
    const [role] = await em.find(Role, {}, { limit: 1 });
    assert.ok(role, 'the fixture has a role');
    const leaving = em.create(User, { email: 'leaving@example.com', passwordHash: 'x', isActive: true });
    leaving.roles.add(role);
    await em.flush();
    await startUserSession(em, leaving.id, ['catalog:read'], { sessionAbsoluteTtlSeconds: 3600 }, new Date());
    const look = await root.api<DeleteAnswer>(`/resources/User/records/${leaving.id}/delete`);
    assert.deepEqual(look.body.references, []);
    const done = await root.api<DeleteAnswer>(`/resources/User/records/${leaving.id}/delete`, { form: {} });
    assert.equal(done.body.notice?.type, 'success', JSON.stringify(done.body.notice));
    const after = fixture.db.orm.em.fork();
    assert.equal(await after.count(User, { email: 'leaving@example.com' }), 0);
    assert.equal(await after.count(Session, { user: leaving.id }), 0);
    assert.equal(await after.count(Role, { id: role.id }), 1, 'the role stays');
  });

  it('without delete_category the GET and the POST stay refused (403)', async () => {
    const [tools] = fixture.ids.categories;
    assert.equal((await editor.api(`/resources/Category/records/${tools}/delete`)).status, 403);
    assert.equal((await editor.api(`/resources/Category/records/${tools}/delete`, { form: {} })).status, 403);
  });
});
