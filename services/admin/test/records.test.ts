import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, Product, Role, User } from '@tandem/models';
import { hashPassword, verifyPassword } from '@tandem/accounts';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';

interface RecordJson {
  id: string;
  params: Record<string, unknown>;
  errors: Record<string, { message: string }>;
}
interface ActionBody {
  record?: RecordJson;
  records?: RecordJson[];
  notice?: { message: string; type: string };
  meta?: { total: number; perPage: number };
}

const productForm = (overrides: Record<string, string> = {}) => ({
  sku: 'HOE-1',
  name: 'Hoe',
  description: 'A hoe',
  priceCents: '1999',
  currency: 'EUR',
  stock: '4',
  'tags.0': 'garden',
  'tags.1': 'weeding',
  published: 'false',
  ...overrides,
});

describe('records through the admin API', () => {
  let fixture: Fixture;
  let root: Client;
  let editor: Client;

  const audits = async (recordId: number | string) =>
    fixture.db.orm.em
      .fork()
      .find(AuditEntry, { model: 'Product', recordId: String(recordId) }, { orderBy: { id: 'asc' } });

  before(async () => {
    fixture = await startFixture();
    root = new Client(fixture.origin);
    editor = new Client(fixture.origin);
    assert.equal((await root.login('root@example.com')).status, 302);
    assert.equal((await editor.login('editor@example.com')).status, 302);
  });
  after(async () => {
    await fixture.close();
  });

  it('lists 25 per page in the default order', async () => {
    const { status, body } = await root.api<ActionBody>('/resources/Product/actions/list');
    assert.equal(status, 200);
    assert.equal(body.meta?.perPage, 25);
    assert.deepEqual(
      body.records?.map((record) => record.params.sku),
      ['PAN-1', 'RAKE-1', 'SPADE-1'],
    );
  });

  it('searches sku, name and tags case-insensitively, and filters', async () => {
    const search = async (query: string) =>
      (await root.api<ActionBody>(`/resources/Product/actions/list?${query}`)).body.records
        ?.map((r) => r.params.sku)
        .sort();
    assert.deepEqual(await search('filters.q=spade'), ['SPADE-1']);
    assert.deepEqual(await search('filters.q=pan-'), ['PAN-1']);
    assert.deepEqual(await search('filters.q=GARDEN'), ['RAKE-1', 'SPADE-1']);
    assert.deepEqual(await search('filters.q=cast-iron'), ['PAN-1']);
    assert.deepEqual(await search(`filters.category=${fixture.ids.categories[1]}`), ['PAN-1']);
    assert.deepEqual(await search('filters.currency=usd'), ['PAN-1']);
    assert.deepEqual(await search('filters.q=garden&sortBy=priceCents&direction=desc'), [
      'RAKE-1',
      'SPADE-1',
    ]);
  });

  it('autocompletes references by several fields (reference search action)', async () => {
    const byName = await root.api<ActionBody>('/resources/Category/actions/search/kitch');
    assert.deepEqual(
      byName.body.records?.map((r) => r.params.slug),
      ['kitchen'],
    );
    const bySlug = await root.api<ActionBody>('/resources/Category/actions/search/garden-t');
    assert.deepEqual(
      bySlug.body.records?.map((r) => r.params.name),
      ['Garden tools'],
    );
  });

  // The other half of "same transaction" (an audit entry that fails takes the change with it) is proven
  // for create, update, delete and bulk publish in audit-same-transaction.test.ts.
  it('creates a product with its audit entry in the same transaction', async () => {
    const { body } = await editor.api<ActionBody>('/resources/Product/actions/new', {
      form: productForm({ category: String(fixture.ids.categories[0]) }),
    });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body));
    const id = body.record!.id;
    const product = await fixture.db.orm.em.fork().findOneOrFail(Product, Number(id));
    assert.deepEqual(product.tags, ['garden', 'weeding']);
    const [entry] = await audits(id);
    assert.equal(entry?.action, 'create');
    assert.equal(entry?.actorEmail, 'editor@example.com');
    assert.deepEqual(entry?.diff.priceCents, { before: null, after: 1999 });
  });

  it('shows validation errors next to the field, not a 500, and writes no audit entry', async () => {
    const before = await fixture.db.orm.em.fork().count(AuditEntry);
    const category = String(fixture.ids.categories[0]);
    const cases: Array<[Record<string, string>, string]> = [
      [{ priceCents: '-5', sku: 'NEG-1' }, 'priceCents'],
      [{ currency: 'EURO', sku: 'CUR-1' }, 'currency'],
      [{ currency: 'XYZ', sku: 'CUR-2' }, 'currency'],
      [{ sku: 'SPADE-1' }, 'sku'],
      [{ priceCents: '', sku: 'EMPTY-1' }, 'priceCents'],
      // What the columns cannot hold: PostgreSQL failed these statements (a 500), SQLite stored them.
      [{ priceCents: '2147483648', sku: 'BIG-1' }, 'priceCents'],
      [{ name: 'n'.repeat(201), sku: 'LONG-1' }, 'name'],
      [{ description: 'a\u0000b', sku: 'NUL-1' }, 'description'],
    ];
    for (const [overrides, field] of cases) {
      const { status, body } = await root.api<ActionBody>('/resources/Product/actions/new', {
        form: productForm({ category, ...overrides }),
      });
      assert.equal(status, 200);
      assert.equal(
        body.notice?.type,
        'error',
        `${JSON.stringify(overrides)} ${status} ${JSON.stringify(body.record?.errors)} ${JSON.stringify(body.notice)}`,
      );
      assert.ok(
        body.record?.errors[field]?.message,
        `expected an error on ${field} for ${JSON.stringify(overrides)}: ${JSON.stringify(body.record?.errors)}`,
      );
    }
    const missingCategory = await root.api<ActionBody>('/resources/Product/actions/new', {
      form: productForm({ sku: 'NOCAT-1' }),
    });
    assert.equal(missingCategory.body.notice?.type, 'error');
    assert.equal(await fixture.db.orm.em.fork().count(AuditEntry), before);
    assert.equal(
      await fixture.db.orm.em
        .fork()
        .count(Product, { sku: { $in: ['NEG-1', 'CUR-1', 'CUR-2', 'EMPTY-1', 'NOCAT-1'] } }),
      0,
    );
  });

  it('gives fields left blank on create their column default (stock 0, unpublished)', async () => {
    const form: Record<string, string> = productForm({
      sku: 'DEFAULTS-1',
      category: String(fixture.ids.categories[0]),
      stock: '',
    });
    delete form.published;
    delete form.description;
    const { body } = await root.api<ActionBody>('/resources/Product/actions/new', { form });
    assert.equal(body.notice?.type, 'success', JSON.stringify(body.record?.errors));
    const product = await fixture.db.orm.em.fork().findOneOrFail(Product, { sku: 'DEFAULTS-1' });
    assert.equal(product.stock, 0);
    assert.equal(product.published, false);
    assert.equal(product.description, '');
  });

  it('edits with a field-level diff, and a failed edit changes nothing', async () => {
    const id = fixture.ids.products[1]!;
    const forged = await root.api<ActionBody>(`/resources/Product/records/${id}/edit`, {
      form: { priceCents: '1750', name: 'Rake, wide', id: '999', createdAt: '2000-01-01' },
    });
    assert.equal(forged.status, 400, 'ids and timestamps are refused, not silently dropped');
    assert.equal((await audits(id)).length, 0);
    const ok = await root.api<ActionBody>(`/resources/Product/records/${id}/edit`, {
      form: { priceCents: '1750', name: 'Rake, wide' },
    });
    assert.equal(ok.body.notice?.type, 'success', JSON.stringify(ok.body));
    const entries = await audits(id);
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0]!.diff, {
      name: { before: 'Rake', after: 'Rake, wide' },
      priceCents: { before: 1500, after: 1750 },
    });
    const failed = await root.api<ActionBody>(`/resources/Product/records/${id}/edit`, {
      form: { priceCents: '-1', name: 'Nope' },
    });
    assert.equal(failed.body.notice?.type, 'error');
    assert.ok(failed.body.record?.errors.priceCents);
    assert.equal((await audits(id)).length, 1);
    const product = await fixture.db.orm.em.fork().findOneOrFail(Product, id);
    assert.equal(product.name, 'Rake, wide');
    const show = await root.api<ActionBody>(`/resources/Product/records/${id}/show`);
    const history = JSON.parse(String(show.body.record?.params.history)) as Array<{ action: string }>;
    assert.deepEqual(
      history.map((entry) => entry.action),
      ['update'],
    );
  });

  it('bulk publishes on POST only, one audit entry per changed record', async () => {
    const ids = fixture.ids.products.slice(0, 2).join(',');
    const preview = await root.api<ActionBody>(`/resources/Product/bulk/publish?recordIds=${ids}`);
    assert.equal(preview.body.records?.length, 2);
    assert.equal(await fixture.db.orm.em.fork().count(Product, { published: true }), 0);
    const done = await root.api<ActionBody>(`/resources/Product/bulk/publish?recordIds=${ids}`, {
      method: 'POST',
    });
    assert.equal(done.body.notice?.type, 'success');
    assert.equal(await fixture.db.orm.em.fork().count(Product, { published: true }), 2);
    const entries = await fixture.db.orm.em.fork().find(AuditEntry, { action: 'publish' });
    assert.equal(entries.length, 2);
    assert.deepEqual(entries[0]!.diff, { published: { before: false, after: true } });
  });

  it('refuses a direct request to an action the role lacks, and hides it', async () => {
    const id = fixture.ids.products[2]!;
    const refused = await editor.api<ActionBody>(`/resources/Product/records/${id}/delete`, {
      method: 'POST',
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.notice?.type, 'error');
    assert.ok(await fixture.db.orm.em.fork().findOne(Product, id), 'the product still exists');
    const bulk = await editor.api<ActionBody>(`/resources/Product/bulk/bulkDelete?recordIds=${id}`, {
      method: 'POST',
    });
    assert.equal(bulk.status, 403);
    const users = await editor.api<ActionBody>('/resources/User/actions/list');
    assert.equal(users.status, 403);
    const show = await editor.api<ActionBody & { record: { recordActions: Array<{ name: string }> } }>(
      `/resources/Product/records/${id}/show`,
    );
    const actions = show.body.record.recordActions.map((action) => action.name);
    assert.ok(actions.includes('edit'));
    assert.ok(!actions.includes('delete'), `delete should be hidden, got ${actions.join(',')}`);
    // Audit entries are read-only even for a superuser.
    const entry = await fixture.db.orm.em.fork().findOneOrFail(AuditEntry, { action: 'create' });
    const rewrite = await root.api<ActionBody>(`/resources/AuditEntry/records/${entry.id}/edit`, {
      form: { action: 'forged' },
    });
    assert.equal(rewrite.status, 403);
  });

  it('deletes with an audit entry holding the old values', async () => {
    const id = fixture.ids.products[2]!;
    const { body } = await root.api<ActionBody>(`/resources/Product/records/${id}/delete`, {
      method: 'POST',
    });
    assert.equal(body.notice?.type, 'success');
    assert.equal(await fixture.db.orm.em.fork().findOne(Product, id), null);
    const [entry] = (await audits(id)).filter((e) => e.action === 'delete');
    assert.deepEqual(entry?.diff.sku, { before: 'PAN-1', after: null });
  });

  it('refuses to delete a category still in use, with a message instead of a 500', async () => {
    const { status, body } = await root.api<ActionBody>(
      `/resources/Category/records/${fixture.ids.categories[0]}/delete`,
      { method: 'POST' },
    );
    assert.equal(status, 200);
    assert.equal(body.notice?.type, 'error');
    // Said before anything is deleted (src/actions/delete-with-references.ts), with what refers to it.
    assert.match(body.notice?.message ?? '', /^\d+ products? uses? this category\. Nothing was deleted\.$/);
  });

  it('creates users with a hashed password and never exposes the hash', async () => {
    const weak = await root.api<ActionBody>('/resources/User/actions/new', {
      form: { email: 'new@example.com', password: '123' },
    });
    assert.ok(weak.body.record?.errors.password, JSON.stringify(weak.body.notice));
    const duplicate = await root.api<ActionBody>('/resources/User/actions/new', {
      form: { email: 'Editor@Example.com', password: 'long enough pass' },
    });
    assert.ok(duplicate.body.record?.errors.email, JSON.stringify(duplicate.body));
    const forged = await root.api<ActionBody>('/resources/User/actions/new', {
      form: {
        email: 'new@example.com',
        password: 'long enough pass',
        isStaff: 'true',
        'roles.0': '1',
        passwordHash: 'forged',
      },
    });
    assert.equal(forged.status, 400, 'a hash is refused, not silently dropped');
    const created = await root.api<ActionBody>('/resources/User/actions/new', {
      form: { email: 'new@example.com', password: 'long enough pass', isStaff: 'true', 'roles.0': '1' },
    });
    assert.equal(created.body.notice?.type, 'success', JSON.stringify(created.body));
    assert.ok(!('passwordHash' in (created.body.record?.params ?? {})));
    const user = await fixture.db.orm.em
      .fork()
      .findOneOrFail(User, { email: 'new@example.com' }, { populate: ['passwordHash', 'roles'] });
    assert.ok(await verifyPassword(user.passwordHash, 'long enough pass'));
    assert.equal(user.roles.count(), 1);
    const list = await root.api<ActionBody>('/resources/User/actions/list');
    assert.ok(
      list.body.records?.every(
        (record) => !Object.keys(record.params).some((key) => key.startsWith('passwordHash')),
      ),
    );
  });

  it('lets only superusers grant superuser status', async () => {
    const em = fixture.db.orm.em.fork();
    const managers = em.create(Role, {
      name: 'user managers',
      scopes: [],
      permissions: ['view_user', 'change_user'],
    });
    const manager = em.create(User, {
      email: 'manager@example.com',
      passwordHash: await hashPassword(PASSWORD),
      isStaff: true,
    });
    manager.roles.add(managers);
    await em.flush();
    const client = new Client(fixture.origin);
    await client.login('manager@example.com');
    const refused = await client.api<ActionBody>(`/resources/User/records/${manager.id}/edit`, {
      form: { isSuperuser: 'true', isActive: 'true' },
    });
    assert.equal(refused.status, 403);
    assert.equal((await fixture.db.orm.em.fork().findOneOrFail(User, manager.id)).isSuperuser, false);
    const takeover = await client.api<ActionBody>(`/resources/User/records/${fixture.ids.superuser}/edit`, {
      form: { password: 'taken over password' },
    });
    assert.equal(takeover.status, 403);
    const rootUser = await fixture.db.orm.em
      .fork()
      .findOneOrFail(User, fixture.ids.superuser, { populate: ['passwordHash'] });
    assert.ok(await verifyPassword(rootUser.passwordHash, PASSWORD));
    const byRoot = await root.api<ActionBody>(`/resources/User/records/${manager.id}/edit`, {
      form: { isSuperuser: 'true' },
    });
    assert.equal(byRoot.body.notice?.type, 'success');
    assert.equal((await fixture.db.orm.em.fork().findOneOrFail(User, manager.id)).isSuperuser, true);
  });

  it('lets a staff member change their own password', async () => {
    const client = new Client(fixture.origin);
    await client.login('editor@example.com');
    const wrong = await client.request('/admin/api/pages/changePassword', {
      json: {
        currentPassword: 'nope',
        newPassword: 'brand new password',
        confirmPassword: 'brand new password',
      },
    });
    const wrongBody = (await wrong.json()) as { errors: Record<string, string> };
    assert.ok(wrongBody.errors.currentPassword);
    const ok = await client.request('/admin/api/pages/changePassword', {
      json: {
        currentPassword: 'correct horse battery',
        newPassword: 'brand new password',
        confirmPassword: 'brand new password',
      },
    });
    assert.equal(((await ok.json()) as { notice: { type: string } }).notice.type, 'success');
    const user = await fixture.db.orm.em
      .fork()
      .findOneOrFail(User, fixture.ids.editor, { populate: ['passwordHash'] });
    assert.ok(await verifyPassword(user.passwordHash, 'brand new password'));
  });

  it('searches products by sku, name and tags in the autocomplete too', async () => {
    const search = async (term: string) =>
      (
        await root.api<ActionBody>(`/resources/Product/actions/search/${encodeURIComponent(term)}`)
      ).body.records
        ?.map((r) => r.params.sku)
        .sort();
    assert.deepEqual(await search('hoe-'), ['HOE-1']);
    assert.deepEqual(await search('weeding'), ['DEFAULTS-1', 'HOE-1']);
    assert.deepEqual(await search('spade'), ['SPADE-1']);
  });

  it('answers malformed requests with a 4xx or a field error, never a 500', async () => {
    const category = String(fixture.ids.categories[0]);
    const missingCategory = await root.api<ActionBody>('/resources/Product/actions/new', {
      form: productForm({ sku: 'REF-1', category: '99999' }),
    });
    assert.equal(missingCategory.body.notice?.type, 'error');
    assert.match(missingCategory.body.record?.errors.category?.message ?? '', /existing category/);
    const badCategory = await root.api<ActionBody>('/resources/Product/actions/new', {
      form: productForm({ sku: 'REF-2', category: 'abc' }),
    });
    assert.ok(badCategory.body.record?.errors.category);
    const scalarTags = await root.api<ActionBody>('/resources/Product/actions/new', {
      form: { ...productForm({ sku: 'TAGS-1', category }), tags: 'single' },
    });
    assert.equal(scalarTags.body.notice?.type, 'success', JSON.stringify(scalarTags.body.record?.errors));
    assert.equal((await root.api('/resources/Nope/actions/list')).status, 404);
    assert.equal((await root.api('/resources/Product/actions/nope')).status, 404);
    assert.equal((await root.api('/resources/Product/records/1/nope')).status, 404);
    const weirdList = await root.api<ActionBody>(
      '/resources/Product/actions/list?page=-3&perPage=100000&sortBy=nope&filters.stock=abc&filters.createdAt~~from=garbage',
    );
    assert.equal(weirdList.status, 200);
    assert.equal(await fixture.db.orm.em.fork().count(Product, { sku: { $in: ['REF-1', 'REF-2'] } }), 0);
  });

  it('answers a bad id with a not-found notice, not a 500', async () => {
    const { status, body } = await root.api<ActionBody>('/resources/Product/records/not-a-number/show');
    assert.ok(status < 500);
    assert.equal(body.notice?.type, 'error');
  });

  it('exports the product list as CSV', async () => {
    const response = await root.request('/admin/export/Product?format=csv');
    assert.equal(response.status, 200);
    const [header, ...rows] = (await response.text()).trim().split('\r\n');
    assert.match(header!, /sku/);
    assert.equal(rows.length, await fixture.db.orm.em.fork().count(Product));
  });
});
