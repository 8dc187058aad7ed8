/**
 * Issue 16: the list's filter chips name related records ("Category: Garden tools", not "Category: 3").
 * The names come from the `filterTitles` action (src/actions/filter-titles.ts), one lookup per
 * reference filter. Attacks: it needs `view` on the listed model, and gives a name only to whoever may
 * search the referenced model (view it, or pick it in a form they may fill), so it cannot be used to
 * read names the category picker would not show; ids that are not ids, unknown ids, repeated keys and
 * non-reference fields get no name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Role } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { staffWith } from './staff-support.js';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

interface TitlesAnswer {
  titles?: Record<string, string>;
}

describe(`filter chips name related records (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;
  let viewer: Client;
  let changer: Client;
  let categoriesOnly: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
    viewer = await staffWith(fixture, 'viewer@example.com', ['view_product']);
    changer = await staffWith(fixture, 'changer@example.com', ['view_product', 'change_product']);
    categoriesOnly = await staffWith(fixture, 'categories@example.com', ['view_category']);
  });
  after(() => fixture.close());

  const titles = (client: Client, resource: string, query: string) =>
    client.api<TitlesAnswer>(`/resources/${resource}/actions/filterTitles?${query}`);

  it('names the record a reference filter points at, and only reference filters', async () => {
    const [tools] = fixture.ids.categories;
    const { status, body } = await titles(
      root,
      'Product',
      new URLSearchParams({
        'filters.category': String(tools),
        'filters.q': 'spade',
        'filters.stock~~from': '1',
        'filters.published': 'true',
      }).toString(),
    );
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.titles, { category: 'Garden tools' });
  });

  it('a user’s roles filter names the role', async () => {
    const editor = await fixture.db.orm.em.fork().findOneOrFail(Role, { name: 'editor' });
    const { body } = await titles(root, 'User', `filters.roles=${editor.id}`);
    assert.deepEqual(body.titles, { roles: 'editor' });
  });

  it('no name for an id that does not exist or is not an id, nor for a repeated key', async () => {
    const [tools, kitchen] = fixture.ids.categories;
    for (const query of [
      'filters.category=999999',
      'filters.category=abc',
      'filters.category=',
      `filters.category=${tools}&filters.category=${kitchen}`,
      `filters.category.0=${tools}`,
      'filters.__proto__=1',
    ]) {
      const { status, body } = await titles(root, 'Product', query);
      if (status === 400) continue; // __proto__ is refused before any action runs
      assert.equal(status, 200, query);
      assert.deepEqual(body.titles, {}, query);
    }
  });

  it('whoever may pick categories in the product form gets the name; a viewer of products gets none', async () => {
    const [, kitchen] = fixture.ids.categories;
    const query = `filters.category=${kitchen}`;
    assert.deepEqual((await titles(changer, 'Product', query)).body.titles, { category: 'Kitchen' });
    const viewed = await titles(viewer, 'Product', query);
    assert.equal(viewed.status, 200);
    assert.deepEqual(viewed.body.titles, {}, 'the chip keeps the id: the picker would not show the name');
  });

  it('needs view on the listed model', async () => {
    const [tools] = fixture.ids.categories;
    const { status, body } = await titles(categoriesOnly, 'Product', `filters.category=${tools}`);
    assert.equal(status, 403, JSON.stringify(body));
    assert.equal(body.titles, undefined);
    const anonymous = new Client(fixture.origin);
    const response = await anonymous.request(
      `/admin/api/resources/Product/actions/filterTitles?filters.category=${tools}`,
    );
    assert.notEqual(response.status, 200);
  });
});
