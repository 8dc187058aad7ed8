/**
 * Attack: learn which records exist without the right to see them. AdminJS loads a record action's
 * record (a bulk action's records) before it asks whether the staff member may run the action, and
 * answered a missing one with HTTP 200 and a "not found" notice (a bulk action with 404): a staff
 * member with no permission on a model got 403 for the ids that exist and something else for the
 * others, for every model (users, clients, sessions, signing keys). Refused actions are now refused
 * before any lookup, the same 403 whatever the id; whoever may run the action gets 404 for a missing
 * record. Runs on SQLite and PostgreSQL (DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { User } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';
import { staffWith } from './staff-support.js';

interface ActionAnswer {
  record?: { params?: Record<string, unknown> };
  records?: unknown[];
  notice?: { message: string; type: string };
}

const MISSING = 99999;

describe(`attack: probing which records exist through refused actions (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  let nobody: Client;
  /** view_product only: may show products, may not show users or delete products. */
  let viewer: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
    nobody = await staffWith(fixture, 'nobody@example.com', []);
    viewer = await staffWith(fixture, 'viewer@example.com', ['view_product']);
  });
  after(() => fixture.close());

  /** The routes AdminJS loads records for, for one id of a model. */
  const recordRoutes = (model: string, id: string | number) => [
    `/resources/${model}/records/${id}/show`,
    `/resources/${model}/records/${id}/edit`,
    `/resources/${model}/records/${id}/delete`,
    `/resources/${model}/bulk/bulkDelete?recordIds=${id}`,
  ];

  it('without the permission, a record that exists and one that does not get the same 403', async () => {
    const existing = {
      User: fixture.ids.superuser,
      Product: fixture.ids.products[0]!,
      Category: fixture.ids.categories[0]!,
    };
    for (const [model, id] of Object.entries(existing)) {
      const pairs = recordRoutes(model, id).map((path, index) => [
        path,
        recordRoutes(model, MISSING)[index]!,
      ]);
      for (const [present, absent] of pairs) {
        for (const method of ['GET', 'POST']) {
          const there = await nobody.api<ActionAnswer>(present!, { method });
          const notThere = await nobody.api<ActionAnswer>(absent!, { method });
          assert.equal(there.status, 403, `${method} ${present}: ${JSON.stringify(there.body)}`);
          assert.equal(notThere.status, 403, `${method} ${absent}: ${JSON.stringify(notThere.body)}`);
          assert.deepEqual(notThere.body, there.body, `${method} ${present}: the answers tell the ids apart`);
        }
      }
    }
    assert.ok(await fixture.db.orm.em.fork().findOne(User, fixture.ids.superuser), 'nothing deleted');
  });

  it('models with nothing in them to compare answer 403 for any id too', async () => {
    for (const [model, id] of [
      ['Client', MISSING],
      ['SigningKey', MISSING],
      ['Session', randomUUID()],
      ['Role', MISSING],
    ] as const) {
      for (const path of recordRoutes(model, id)) {
        const { status, body } = await nobody.api<ActionAnswer>(path);
        assert.equal(status, 403, `${path}: ${JSON.stringify(body)}`);
        assert.equal(body.notice?.message, 'forbiddenError');
      }
    }
  });

  it('a permission on one action of a model does not open the others to probing', async () => {
    const [spade] = fixture.ids.products;
    for (const id of [spade, MISSING]) {
      for (const path of [
        `/resources/Product/records/${id}/delete`,
        `/resources/Product/records/${id}/edit`,
        `/resources/Product/bulk/bulkDelete?recordIds=${id}`,
        `/resources/User/records/${id}/show`,
      ]) {
        const { status, body } = await viewer.api<ActionAnswer>(path);
        assert.equal(status, 403, `${path}: ${JSON.stringify(body)}`);
      }
    }
    const shown = await viewer.api<ActionAnswer>(`/resources/Product/records/${spade}/show`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.record?.params?.sku, 'SPADE-1');
  });

  it('whoever may run the action gets 404 for a record that is not there, as for a bulk action', async () => {
    for (const client of [root, viewer]) {
      const { status, body } = await client.api<ActionAnswer>(`/resources/Product/records/${MISSING}/show`);
      assert.equal(status, 404, JSON.stringify(body));
      assert.equal(body.notice?.type, 'error');
      assert.deepEqual(body.record?.params, {}, 'no record in a 404');
    }
    for (const path of [
      `/resources/User/records/${MISSING}/show`,
      `/resources/User/records/${MISSING}/edit`,
      `/resources/User/records/${MISSING}/delete`,
      `/resources/User/bulk/bulkDelete?recordIds=${MISSING}`,
    ]) {
      assert.equal((await root.api(path)).status, 404, path);
    }
    // A record that is there still answers.
    const shown = await root.api<ActionAnswer>(`/resources/User/records/${fixture.ids.editor}/show`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.record?.params?.email, 'editor@example.com');
  });
});
