/**
 * Issue 16 item 6: history names the related records a change moved between ("Garden tools" →
 * "Kitchen", not 1 → 2), on the record's show page and on the audit entry's, and names the record an
 * audit entry is about. (Labels are the forms' own, shown by components/History.jsx.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEntry, Role, User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

interface ShowAnswer {
  record?: { params: Record<string, unknown> };
}

describe(`history names related records (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
  });
  after(() => fixture.close());

  it('a product moved to another category: both categories by name', async () => {
    const [tools, kitchen] = fixture.ids.categories;
    const [spade] = fixture.ids.products;
    const edit = await root.api(`/resources/Product/records/${spade}/edit`, {
      form: { category: String(kitchen), priceCents: '2600' },
    });
    assert.equal(edit.status, 200);
    const { body } = await root.api<ShowAnswer>(`/resources/Product/records/${spade}/show`);
    const names = JSON.parse(String(body.record?.params.historyNames)) as Record<
      string,
      Record<string, string>
    >;
    assert.deepEqual(names, { category: { [String(tools)]: 'Garden tools', [String(kitchen)]: 'Kitchen' } });

    const entry = await fixture.db.orm.em
      .fork()
      .findOneOrFail(AuditEntry, { model: 'Product', recordId: String(spade), action: 'update' });
    const audit = await root.api<ShowAnswer>(`/resources/AuditEntry/records/${entry.id}/show`);
    const params = audit.body.record?.params ?? {};
    assert.deepEqual(JSON.parse(String(params.namesJson)), names);
    assert.equal(params.recordTitle, 'Spade', 'the record the entry is about, by name');
  });

  it('a user’s roles by name, and a deleted related record left as its id', async () => {
    const em = fixture.db.orm.em.fork();
    const temporary = em.create(Role, { name: 'temporary', scopes: [], permissions: [] });
    await em.flush();
    const customer = await em.findOneOrFail(User, { email: 'customer@example.com' });
    await root.api(`/resources/User/records/${customer.id}/edit`, {
      form: { 'roles.0': String(temporary.id) },
    });
    await em.fork().nativeDelete(Role, { id: temporary.id });
    const editor = await em.findOneOrFail(Role, { name: 'editor' });
    await root.api(`/resources/User/records/${customer.id}/edit`, { form: { 'roles.0': String(editor.id) } });
    const { body } = await root.api<ShowAnswer>(`/resources/User/records/${customer.id}/show`);
    const names = JSON.parse(String(body.record?.params.historyNames)) as Record<
      string,
      Record<string, string>
    >;
    assert.deepEqual(
      names,
      { roles: { [String(editor.id)]: 'editor' } },
      'the deleted role has no name to give',
    );
  });
});
