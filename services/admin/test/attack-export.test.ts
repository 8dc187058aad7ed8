/**
 * Attacks on the streamed export (GET /admin/export/:resource): reading what one may not view,
 * starting a download from another site, filtering on hidden fields to learn their values, prototype
 * keys in the query, and script in stored text served back as a page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@tandem/accounts';
import { Product, Role, User } from '@tandem/models';
import { Client, PASSWORD, startFixture, type Fixture } from './support.js';
import { exportedJsonLines } from './export-support.js';

describe('attack: the export download', () => {
  let fixture: Fixture;
  let root: Client;
  let editor: Client;
  let categoriesOnly: Client;

  before(async () => {
    fixture = await startFixture();
    const em = fixture.db.orm.em.fork();
    const role = em.create(Role, { name: 'category viewer', scopes: [], permissions: ['view_category'] });
    const user = em.create(User, {
      email: 'categories@example.com',
      passwordHash: await hashPassword(PASSWORD),
      isStaff: true,
    });
    user.roles.add(role);
    await em.flush();
    root = new Client(fixture.origin);
    editor = new Client(fixture.origin);
    categoriesOnly = new Client(fixture.origin);
    assert.equal((await root.login('root@example.com')).status, 302);
    assert.equal((await editor.login('editor@example.com')).status, 302);
    assert.equal((await categoriesOnly.login('categories@example.com')).status, 302);
  });
  after(() => fixture.close());

  it('refuses a staff member without the view permission (403, no rows), in both formats', async () => {
    for (const [client, resource] of [
      [categoriesOnly, 'Product'],
      [editor, 'User'],
      [editor, 'Role'],
      [editor, 'AuditEntry'],
    ] as const)
      for (const format of ['csv', 'jsonl']) {
        const response = await client.request(`/admin/export/${resource}?format=${format}`);
        const text = await response.text();
        assert.equal(response.status, 403, `${resource} ${format}: ${text.slice(0, 200)}`);
        assert.equal((JSON.parse(text) as { error: string }).error, 'forbidden');
        assert.ok(!/SPADE-1|root@example\.com|editor/.test(text), `${resource} leaked: ${text}`);
      }
    // The same staff member may export what they may view.
    assert.equal((await categoriesOnly.request('/admin/export/Category?format=csv')).status, 200);
  });

  it('refuses anyone not logged in, and an unknown resource', async () => {
    const anonymous = await new Client(fixture.origin).request('/admin/export/Product?format=csv');
    assert.notEqual(anonymous.status, 200);
    assert.ok(!(await anonymous.text()).includes('SPADE-1'));
    const unknown = await root.request('/admin/export/Nothing?format=csv');
    assert.equal(unknown.status, 404);
  });

  it('refuses a download started by another site or another port of this host', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const response = await root.request('/admin/export/Product?format=csv', {
        headers: { 'sec-fetch-site': site },
      });
      assert.equal(response.status, 403, site);
      assert.equal(((await response.json()) as { error: string }).error, 'csrf_failed');
    }
    for (const site of ['same-origin', 'none']) {
      const response = await root.request('/admin/export/Product?format=csv', {
        headers: { 'sec-fetch-site': site },
      });
      assert.equal(response.status, 200, site);
    }
  });

  it('ignores filters on fields the list cannot filter (a password hash cannot be guessed by prefix)', async () => {
    const all = await exportedJsonLines(root, 'User', '');
    for (const query of [
      'filters.passwordHash=%24argon2',
      'filters.passwordHash=nothing-matches-this',
      'filters.password_hash=x',
    ]) {
      const rows = await exportedJsonLines(root, 'User', query);
      assert.equal(rows.length, all.length, query);
    }
    for (const row of all) {
      assert.equal('passwordHash' in row, false);
      assert.ok(!JSON.stringify(row).includes('$argon2'));
    }
  });

  it('refuses prototype keys in the export query', async () => {
    for (const key of ['filters.__proto__.isSuperuser', '__proto__.x', 'filters.constructor.prototype.x']) {
      const response = await root.request(`/admin/export/User?format=jsonl&${key}=true`);
      assert.equal(response.status, 400, key);
      assert.equal(((await response.json()) as { error: string }).error, 'forbidden_key');
    }
  });

  it('serves stored script as a download, never as a page the browser would render', async () => {
    const em = fixture.db.orm.em.fork();
    const product = await em.findOneOrFail(Product, fixture.ids.products[0]!);
    product.name = '<script>window.pwned=1</script>';
    await em.flush();
    for (const [format, type] of [
      ['csv', /^text\/csv/],
      ['jsonl', /^application\/x-ndjson/],
    ] as const) {
      const response = await root.request(`/admin/export/Product?format=${format}`);
      assert.match(response.headers.get('content-type') ?? '', type);
      assert.match(response.headers.get('content-disposition') ?? '', /^attachment;/);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.ok((await response.text()).includes('<script>window.pwned=1</script>'), 'kept as data');
    }
  });
});
