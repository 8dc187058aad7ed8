/**
 * Issue 16, item 3: the filter drawer's pickers send a date range as UTC instants, "to" holding its whole
 * minute (`…12:00:59.999Z`: e2e/test/admin-dates-browser.test.ts drives them in Chromium in zones far
 * from UTC, in the SQLite pass). Here, on both databases, the list action given such a range lists
 * exactly the rows created inside it, edges included, compared by each database's own timestamp type.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Product } from '@tandem/models';
import { testDialect } from '@tandem/models/testing';
import { Client, startFixtureAsRoot, type Fixture } from './support.js';

interface ListBody {
  records?: { params: Record<string, string> }[];
}

const FROM = '2026-03-10T10:00:00.000Z';
const TO = '2026-03-10T12:00:59.999Z';

describe(`a date range filter lists the UTC range (${testDialect()})`, () => {
  let fixture: Fixture;
  let root: Client;

  before(async () => {
    ({ fixture, root } = await startFixtureAsRoot());
  });
  after(() => fixture.close());

  const listed = async (query: Record<string, string>) => {
    const { status, body } = await root.api<ListBody>(
      `/resources/Product/actions/list?${new URLSearchParams(query)}`,
    );
    assert.equal(status, 200, JSON.stringify(body));
    return body.records?.map((record) => record.params.sku).sort();
  };

  it('edges included, the last minute whole, a millisecond outside either edge left out', async () => {
    const created: Record<string, string> = {
      'SPADE-1': FROM, // "from" itself
      'RAKE-1': '2026-03-10T12:00:30.000Z', // inside the minute "to 12:00" names
      'PAN-1': '2026-03-10T09:59:59.999Z', // a millisecond before "from"
    };
    const em = fixture.db.orm.em.fork();
    for (const [sku, at] of Object.entries(created))
      await em.nativeUpdate(Product, { sku }, { createdAt: new Date(at) });

    const range = { 'filters.createdAt~~from': FROM, 'filters.createdAt~~to': TO };
    assert.deepEqual(await listed(range), ['RAKE-1', 'SPADE-1']);

    await em.nativeUpdate(Product, { sku: 'RAKE-1' }, { createdAt: new Date('2026-03-10T12:01:00.000Z') });
    assert.deepEqual(await listed(range), ['SPADE-1'], 'a minute after "to 12:00" is outside');
    // One edge alone: everything from it on, everything up to it.
    assert.deepEqual(await listed({ 'filters.createdAt~~from': FROM }), ['RAKE-1', 'SPADE-1']);
    assert.deepEqual(await listed({ 'filters.createdAt~~to': TO }), ['PAN-1', 'SPADE-1']);
  });
});
