/**
 * The list remembers where you were: after a save, delete or bulk action the admin sends the staff
 * member back to the list with the filters, search, sort and page they left it with (kept by the
 * browser in the tandem_list_<Resource> cookie, see components/ListMemory.jsx), and nothing else.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

describe('the list remembers its filters across save, delete and bulk actions', () => {
  let fixture: Fixture;
  let root: Client;
  const remembered = 'filters.q=garden&sortBy=stock&direction=desc&page=2';
  const cookie = `tandem_list_Product=${encodeURIComponent(remembered)}`;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
  });
  after(() => fixture.close());

  it('sends a saved edit back to the remembered list', async () => {
    const { status, body } = await root.api<{ redirectUrl: string }>(
      `/resources/Product/records/${fixture.ids.products[0]}/edit`,
      { form: { name: 'Spade (edited)' }, headers: { cookie } },
    );
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.redirectUrl, `/admin/resources/Product?${remembered}`);
  });

  it('sends a delete and a bulk action back to the remembered list', async () => {
    const bulk = await root.api<{ redirectUrl: string }>(
      `/resources/Product/bulk/publish?recordIds=${fixture.ids.products[0]}`,
      { method: 'POST', headers: { cookie } },
    );
    assert.equal(bulk.body.redirectUrl, `/admin/resources/Product?${remembered}`);
    const deleted = await root.api<{ redirectUrl: string }>(
      `/resources/Product/records/${fixture.ids.products[2]}/delete`,
      { method: 'POST', headers: { cookie } },
    );
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal(deleted.body.redirectUrl, `/admin/resources/Product?${remembered}`);
  });

  it('goes to the bare list without a remembered query, and keeps only list parameters', async () => {
    const id = fixture.ids.products[1];
    const bare = await root.api<{ redirectUrl: string }>(`/resources/Product/records/${id}/edit`, {
      form: { name: 'Rake (edited)' },
    });
    assert.equal(bare.body.redirectUrl, '/admin/resources/Product');
    // Another resource's memory is not used, and foreign parameters are dropped.
    const hostile = encodeURIComponent('filters.q=x&redirect=https://evil.example&sortBy=name#frag');
    const mixed = await root.api<{ redirectUrl: string }>(`/resources/Product/records/${id}/edit`, {
      form: { name: 'Rake' },
      headers: { cookie: `tandem_list_Category=filters.q%3Dkitchen; tandem_list_Product=${hostile}` },
    });
    assert.equal(mixed.body.redirectUrl, '/admin/resources/Product?filters.q=x&sortBy=name%23frag');
    const broken = await root.api<{ redirectUrl: string }>(`/resources/Product/records/${id}/edit`, {
      form: { name: 'Rake' },
      headers: { cookie: 'tandem_list_Product=%E0%A4%A' },
    });
    assert.equal(broken.body.redirectUrl, '/admin/resources/Product');
  });
});
