/**
 * CSV injection: a product name that a spreadsheet reads as a formula (=HYPERLINK(...) leaks data or
 * phishes when a staff member opens the export). Exported text cells must not start a formula —
 * the record's own text and the related record's name written beside it alike.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Category, Product } from '@tandem/models';
import { neutraliseCell } from '../src/actions/export-format.js';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

const PAYLOADS = ['=HYPERLINK("http://x","y")', '+SUM(1,1)', '-2+3', '@SUM(A1)', '\t=1+1', '\r=1+1'];

describe('attack: formulas in the CSV export', () => {
  let fixture: Fixture;
  let root: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
  });
  after(() => fixture.close());

  it('exports formula-looking text as text (a leading quote), and leaves numbers alone', async () => {
    const em = fixture.db.orm.em.fork();
    const products = await em.find(Product, {}, { orderBy: { id: 'asc' } });
    PAYLOADS.slice(0, products.length).forEach((name, index) => (products[index]!.name = name));
    products[0]!.description = '=1+1';
    const category = await em.findOneOrFail(Category, fixture.ids.categories[0]!);
    category.name = '=cmd|"/c calc"!A1';
    await em.flush();
    const response = await root.request('/admin/export/Product?format=csv');
    assert.equal(response.status, 200);
    const csv = (await response.text()).replace(/^\uFEFF/, '');
    const cells = csv.split(/,|\r\n/);
    for (const name of PAYLOADS.slice(0, products.length)) {
      const cell = `"${name.replaceAll('"', '""')}"`;
      assert.ok(!cells.includes(cell), `raw formula cell ${JSON.stringify(name)}`);
      assert.ok(csv.includes(`"'${name.replaceAll('"', '""')}"`), `neutralised ${JSON.stringify(name)}`);
    }
    assert.ok(csv.includes(`"'=1+1"`));
    assert.ok(csv.includes(`"'=cmd|""/c calc""!A1"`), 'the related category name is neutralised too');
    assert.ok(!cells.includes(`"=cmd|""/c calc""!A1"`));
    assert.ok(cells.includes('2500'), 'numbers are exported as numbers');
  });

  it('every formula start is neutralised, also after white space, after LF, and in full-width forms', () => {
    const formulas = [
      ...PAYLOADS,
      '\n=1+1',
      ' =1+1',
      '  +SUM(1,1)',
      '\u3000=1+1',
      '＝1+1',
      '＋1',
      '－1',
      '＠SUM(A1)',
    ];
    for (const text of formulas) assert.equal(neutraliseCell(text), `'${text}`, JSON.stringify(text));
    for (const text of ['Lamp', '1+1', 'a=b', 'x - y', '', ' plain'])
      assert.equal(neutraliseCell(text), text);
  });
});
