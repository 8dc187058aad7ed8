/**
 * Attacks on the admin API's edges: reading a new client's one-time secret back from the browser's
 * cache (API answers are `no-store`), naming an action after an Object.prototype member
 * (`constructor`, `toString`, …) and giving a bulk action's `recordIds` twice. Neither of the last two
 * may end in a 500: unknown actions are 404 like any other, a repeated `recordIds` is 400. Runs on
 * SQLite and PostgreSQL (DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Product } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';
import { staffWith } from './staff-support.js';

interface ShowAnswer {
  record?: { id: string; params: Record<string, unknown> };
}

describe(`attack: admin API caching and malformed action requests (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  let deleter: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
    deleter = await staffWith(fixture, 'deleter@example.com', ['view_product', 'delete_product']);
  });
  after(() => fixture.close());

  it('a new client’s one-time secret is sent no-store, as is every API answer', async () => {
    const created = await root.api<ShowAnswer>('/resources/Client/actions/new', {
      form: { name: 'Cached secret', 'scopes.0': 'catalog:read' },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const shown = await root.request(`/admin/api/resources/Client/records/${created.body.record!.id}/show`);
    assert.equal(shown.status, 200);
    const body = (await shown.json()) as ShowAnswer;
    assert.match(String(body.record?.params.clientSecret), /^[A-Za-z0-9_-]{43}$/, 'the secret is in it');
    assert.equal(shown.headers.get('cache-control'), 'no-store');
    for (const path of [
      '/admin/api/resources/Product/actions/list',
      `/admin/api/resources/Product/records/${fixture.ids.products[0]}/show`,
      '/admin/api/resources/Product/actions/search/spade',
      '/admin/api/resources/Product/actions/nonesuch',
    ]) {
      const response = await root.request(path);
      assert.equal(response.headers.get('cache-control'), 'no-store', path);
    }
    // Without a session too (a shared machine's cache holds the 401 as much as a 200).
    const anonymous = await new Client(fixture.origin).request('/admin/api/resources/Product/actions/list');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('cache-control'), 'no-store');
  });

  it('actions named after Object.prototype members are unknown actions (404), not 500s', async () => {
    const [spade] = fixture.ids.products;
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) {
      for (const path of [
        `/resources/Product/actions/${name}`,
        `/resources/Product/records/${spade}/${name}`,
        `/resources/Product/bulk/${name}?recordIds=${spade}`,
      ]) {
        for (const method of ['GET', 'POST']) {
          const { status, body } = await deleter.api(path, { method });
          assert.equal(status, 404, `${method} ${path}: ${JSON.stringify(body)}`);
          assert.equal(body.error, 'not_found');
        }
      }
    }
  });

  it('a bulk action’s recordIds given twice is refused (400), and deletes nothing', async () => {
    const [spade, rake] = fixture.ids.products;
    for (const method of ['GET', 'POST']) {
      const { status, body } = await deleter.api(
        `/resources/Product/bulk/bulkDelete?recordIds=${spade}&recordIds=${rake}`,
        { method },
      );
      assert.equal(status, 400, `${method}: ${JSON.stringify(body)}`);
      assert.equal(body.error, 'invalid_query');
      assert.match(String(body.message), /recordIds/);
    }
    assert.equal(await fixture.db.orm.em.fork().count(Product), 3, 'nothing deleted');
    // The one list AdminJS sends still works.
    const { status } = await deleter.api(`/resources/Product/bulk/bulkDelete?recordIds=${spade},${rake}`);
    assert.equal(status, 200);
  });

  it('an action asked for on another kind of route is unknown there (404), and new by GET is 405', async () => {
    const [spade] = fixture.ids.products;
    for (const path of [
      `/resources/Product/records/${spade}/list`,
      `/resources/Product/records/${spade}/new`,
      `/resources/Product/actions/show`,
      `/resources/Product/actions/delete`,
      `/resources/Product/bulk/show?recordIds=${spade}`,
    ]) {
      for (const method of ['GET', 'POST']) {
        const { status, body } = await root.api(path, { method });
        assert.equal(status, 404, `${method} ${path}: ${JSON.stringify(body)}`);
        assert.equal(body.error, 'not_found');
      }
    }
    const created = await root.api('/resources/Product/actions/new');
    assert.equal(created.status, 405, JSON.stringify(created.body));
    assert.equal(created.body.error, 'method_not_allowed');
    assert.equal(await fixture.db.orm.em.fork().count(Product), 3, 'nothing created or deleted');
    // The right kinds still answer.
    assert.equal((await root.api(`/resources/Product/records/${spade}/show`)).status, 200);
    assert.equal((await root.api('/resources/Product/actions/list')).status, 200);
  });
});
