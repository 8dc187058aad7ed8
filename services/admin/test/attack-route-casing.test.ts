/**
 * Attack: the admin's paths in another casing. Express matched routes case-insensitively, so AdminJS
 * still ran `/api/resources/Product/Actions/new` while the guards that read the path themselves (the
 * unknown-action check) only knew `actions`: `Actions/constructor` and `GET Actions/new` were 500s
 * again (an error log line per request, from any staff member, even one without permissions). Every
 * path of the admin now has one spelling; any other is 404. Runs on SQLite and PostgreSQL
 * (DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Product } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';
import { staffWith } from './staff-support.js';

describe(`attack: admin paths in another casing (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  let nobody: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
    nobody = await staffWith(fixture, 'nobody@example.com', []);
  });
  after(() => fixture.close());

  it('action routes in another casing are 404 (not 500s), for any staff member', async () => {
    const [spade] = fixture.ids.products;
    const paths = [
      '/admin/api/resources/Product/Actions/new',
      '/admin/api/resources/Product/ACTIONS/new',
      '/admin/api/resources/Product/Actions/constructor',
      '/admin/api/resources/Product/aCtions/toString',
      `/admin/api/resources/Product/RECORDS/${spade}/list`,
      `/admin/api/resources/Product/Records/${spade}/constructor`,
      `/admin/api/resources/Product/BULK/constructor?recordIds=${spade}`,
      `/admin/api/resources/Product/Bulk/show?recordIds=${spade}`,
    ];
    for (const client of [nobody, root]) {
      for (const path of paths) {
        for (const method of ['GET', 'POST']) {
          const response = await client.request(path, { method });
          assert.equal(response.status, 404, `${method} ${path}: ${await response.text()}`);
        }
      }
    }
    assert.equal(await fixture.db.orm.em.fork().count(Product), 3, 'nothing created or deleted');
  });

  it('no other admin route answers in another casing either', async () => {
    const [spade] = fixture.ids.products;
    // Each of these answers the superuser in its own spelling (checked below); in any other, nothing runs.
    const routes = [
      ['/admin/api/resources/Product/actions/list', '/admin/api/resources/Product/Actions/list'],
      ['/admin/api/resources/Product/actions/list', '/admin/API/resources/Product/actions/list'],
      ['/admin/api/resources/Product/actions/list', '/admin/api/Resources/Product/actions/list'],
      ['/admin/api/resources/Product/actions/list', '/ADMIN/api/resources/Product/actions/list'],
      [
        `/admin/api/resources/Product/records/${spade}/show`,
        `/admin/api/resources/Product/Records/${spade}/show`,
      ],
      [
        `/admin/api/resources/Product/bulk/bulkDelete?recordIds=${spade}`,
        `/admin/api/resources/Product/BULK/bulkDelete?recordIds=${spade}`,
      ],
      [
        '/admin/api/resources/Product/actions/search/spade',
        '/admin/api/resources/Product/Actions/search/spade',
      ],
      ['/admin/api/pages/changePassword', '/admin/api/Pages/changePassword'],
      ['/admin/api/dashboard', '/admin/api/Dashboard'],
      ['/admin/resources/Product', '/admin/Resources/Product'],
      ['/admin/pages/changePassword', '/admin/PAGES/changePassword'],
    ] as const;
    for (const [spelling, other] of routes) {
      const own = await root.request(spelling);
      assert.equal(own.status, 200, `${spelling} answers in its own spelling`);
      const response = await root.request(other);
      assert.equal(response.status, 404, `${other}: ${(await response.text()).slice(0, 200)}`);
    }
    // A POST in another casing changes nothing (the bulk delete above, as a change).
    const deleted = await root.request(`/admin/api/resources/Product/BULK/bulkDelete?recordIds=${spade}`, {
      method: 'POST',
    });
    assert.equal(deleted.status, 404);
    assert.equal(await fixture.db.orm.em.fork().count(Product), 3, 'nothing deleted');
  });

  it('an API path that names nothing is a JSON 404, as unknown actions are', async () => {
    for (const path of [
      '/admin/api/resources/Product/Actions/new',
      '/admin/api/Dashboard',
      '/admin/api/nonesuch',
    ]) {
      const { status, body } = await root.api(path.replace(/^\/admin\/api/, ''));
      assert.equal(status, 404, path);
      assert.equal(body.error, 'not_found', path);
    }
  });
});
