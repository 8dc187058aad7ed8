/**
 * Export: exactly the rows the list shows under its filter, search and sort — every page, in the
 * list's order — as CSV and JSON Lines, with related records named. Runs on SQLite and PostgreSQL
 * (DATABASE_URL), with more rows than one export batch and than the old 500-row cap.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, startFixture, type Fixture } from './support.js';
import { MANY, addManyProducts, exportedJsonLines, listedIds } from './export-support.js';

describe('export of a list', () => {
  let fixture: Fixture;
  let root: Client;

  before(async () => {
    fixture = await startFixture();
    await addManyProducts(fixture);
    root = new Client(fixture.origin);
    assert.equal((await root.login('root@example.com')).status, 302);
  });
  after(() => fixture.close());

  const LISTS: Array<[string, string]> = [
    ['everything, default order', ''],
    ['sorted by stock, descending (ties)', 'sortBy=stock&direction=desc'],
    ['sorted by creation time (microseconds on PostgreSQL)', 'sortBy=createdAt&direction=asc'],
    ['searched, more rows than one batch', 'filters.q=chair&sortBy=priceCents&direction=desc'],
    ['searched and filtered', `filters.q=lamp&filters.currency=EUR&sortBy=name&direction=asc`],
    [
      'filtered by category and published',
      'filters.published=true&filters.category=CATEGORY&sortBy=priceCents',
    ],
  ];

  for (const [name, template] of LISTS)
    it(`exports exactly the listed rows in the list's order: ${name}`, async () => {
      const query = template.replace('CATEGORY', String(fixture.ids.categories[1]));
      const listed = await listedIds(root, 'Product', query);
      assert.ok(listed.length > 0);
      const exported = await exportedJsonLines(root, 'Product', query);
      assert.equal(exported.length, listed.length, 'exported row count equals the filtered count');
      assert.deepEqual(
        exported.map((row) => String(row.id)),
        listed,
      );
    });

  it('exports all rows, past the old 500-row cap and across batches', async () => {
    const exported = await exportedJsonLines(root, 'Product', '');
    assert.equal(exported.length, MANY + 3);
    assert.equal(new Set(exported.map((row) => row.id)).size, MANY + 3, 'no row twice');
  });

  it('counts in the drawer what the export will hold', async () => {
    const query = 'filters.q=lamp&filters.currency=EUR';
    const { status, body } = await root.api<{ total: number }>(`/resources/Product/actions/export?${query}`);
    assert.equal(status, 200);
    assert.equal(body.total, (await listedIds(root, 'Product', query)).length);
  });

  it('names related records (with their ids) and writes lists and dates plainly', async () => {
    const [spade] = await exportedJsonLines(root, 'Product', 'filters.q=SPADE-1');
    assert.equal(spade?.category, 'Garden tools');
    assert.equal(spade?.category_id, fixture.ids.categories[0]);
    assert.deepEqual(spade?.tags, ['garden', 'steel']);
    assert.equal(spade?.priceCents, 2500);
    assert.match(String(spade?.createdAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    const users = await exportedJsonLines(root, 'User', 'filters.q=editor@');
    assert.deepEqual(users[0]?.roles, ['editor']);
  });

  it('writes CSV with a header, one line per row, related names and the same count', async () => {
    const query = 'filters.q=lamp&filters.currency=EUR&sortBy=name';
    const response = await root.request(`/admin/export/Product?format=csv&${query}`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(
      response.headers.get('content-disposition') ?? '',
      /^attachment; filename="product-.*\.csv"$/,
    );
    const lines = (await response.text())
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    const header = lines[0]!.split(',');
    assert.ok(header.includes('"category"') && header.includes('"category_id"'));
    assert.equal(lines.length - 1, (await listedIds(root, 'Product', query)).length);
    const categoryColumn = header.indexOf('"category"');
    assert.ok(
      lines.slice(1).every((line) => /"(Garden tools|Kitchen)"/.test(line.split(',')[categoryColumn]!)),
    );
  });

  it('refuses an unknown format with a clear error', async () => {
    const response = await root.request('/admin/export/Product?format=xlsx');
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      error: 'invalid_format',
      message: 'format must be "csv" or "jsonl".',
    });
  });
});
