/**
 * Cross-site request forgery: a page on another origin of the same host (another port: same-site, so
 * the SameSite=Lax cookie goes along) auto-posts a form to the admin, or points an <img> at the
 * logout URL. Requests are sent with the headers a browser would add to such a request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Product, User } from '@tandem/models';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

describe('attack: cross-site requests to the admin', () => {
  let fixture: Fixture;
  let root: Client;
  /** What a browser sends when a page on http://127.0.0.1:<other port> submits a form to the admin. */
  let crossSite: Record<string, string>;
  let sameOrigin: Record<string, string>;

  const productName = async () =>
    (await fixture.db.orm.em.fork().findOneOrFail(Product, fixture.ids.products[0]!)).name;
  const loggedIn = async (client: Client) =>
    (await client.request('/admin/api/resources/Product/actions/list')).status === 200;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
    const port = Number(new URL(fixture.origin).port);
    crossSite = { origin: `http://127.0.0.1:${port === 1 ? 2 : port - 1}`, 'sec-fetch-site': 'same-site' };
    sameOrigin = { origin: fixture.origin, 'sec-fetch-site': 'same-origin' };
  });
  after(() => fixture.close());

  it('refuses a cross-site form post to the AdminJS API and changes nothing', async () => {
    const path = `/resources/Product/records/${fixture.ids.products[0]}/edit`;
    const refused = await root.api(path, { form: { name: 'Pwned' }, headers: crossSite });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'csrf_failed');
    assert.equal(typeof refused.body.message, 'string');
    assert.equal(await productName(), 'Spade');
    // Older browsers send only Origin: still refused when it is another origin.
    const originOnly = await root.api(path, {
      form: { name: 'Pwned' },
      headers: { origin: crossSite.origin! },
    });
    assert.equal(originOnly.status, 403);
    const bulk = await root.api(`/resources/Product/bulk/publish?recordIds=${fixture.ids.products[2]}`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' },
    });
    assert.equal(bulk.status, 403);
    assert.equal(await productName(), 'Spade');
  });

  it('accepts the same request from the admin itself', async () => {
    const path = `/resources/Product/records/${fixture.ids.products[0]}/edit`;
    const done = await root.api<{ notice: { type: string } }>(path, {
      form: { name: 'Spade (steel)' },
      headers: sameOrigin,
    });
    assert.equal(done.status, 200);
    assert.equal(done.body.notice.type, 'success');
    assert.equal(await productName(), 'Spade (steel)');
    const originOnly = await root.api(path, { form: { name: 'Spade' }, headers: { origin: fixture.origin } });
    assert.equal(originOnly.status, 200);
  });

  it('refuses HEAD on the API (AdminJS took it for a change): no delete, bulk delete or edit', async () => {
    const [spade, rake] = fixture.ids.products;
    const count = () => fixture.db.orm.em.fork().count(Product);
    const products = await count();
    // A page on another port can send HEAD with fetch(url, { method: 'HEAD', mode: 'no-cors' }): a
    // safe method, so the CSRF check lets it by; it must never reach an action.
    for (const headers of [crossSite, sameOrigin]) {
      for (const path of [
        `/resources/Product/records/${spade}/delete`,
        `/resources/Product/bulk/bulkDelete?recordIds=${spade},${rake}`,
        `/resources/Product/records/${spade}/edit`,
        `/resources/User/records/${fixture.ids.editor}/delete`,
      ]) {
        const response = await root.request(`/admin/api${path}`, { method: 'HEAD', headers });
        assert.equal(response.status, 405, `HEAD ${path}`);
        assert.equal(response.headers.get('allow'), 'GET, POST');
      }
    }
    assert.equal(await count(), products, 'no product deleted');
    assert.equal(await productName(), 'Spade');
    const editor = await fixture.db.orm.em.fork().findOne(User, fixture.ids.editor);
    assert.ok(editor, 'the editor is still there');
    // GET still reads.
    const shown = await root.api(`/resources/Product/records/${spade}/show`, { headers: sameOrigin });
    assert.equal(shown.status, 200);
  });

  it('refuses a cross-site login post (login CSRF)', async () => {
    const client = new Client(fixture.origin);
    const response = await client.request('/admin/login', {
      form: { email: 'root@example.com', password: 'correct horse battery' },
      headers: crossSite,
    });
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { error: string }).error, 'csrf_failed');
  });

  it('does not log out on GET (an <img src=/admin/logout> elsewhere)', async () => {
    const client = new Client(fixture.origin);
    await client.login('editor@example.com');
    const response = await client.request('/admin/logout', { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.notEqual(response.status, 302);
    assert.ok(await loggedIn(client), 'still logged in');
  });

  it('refuses a cross-site logout post; a same-origin one logs out', async () => {
    const client = new Client(fixture.origin);
    await client.login('editor@example.com');
    const forged = await client.request('/admin/logout', { method: 'POST', headers: crossSite });
    assert.equal(forged.status, 403);
    assert.ok(await loggedIn(client), 'still logged in');
    const real = await client.request('/admin/logout', { method: 'POST', headers: sameOrigin });
    assert.equal(real.status, 303);
    assert.equal(real.headers.get('location'), '/admin/login');
    assert.equal(await loggedIn(client), false);
  });
});
