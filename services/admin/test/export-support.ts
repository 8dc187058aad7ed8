/**
 * Test support for exports: a catalog big enough to need several export batches, with ties and
 * different timestamps, and readers for what the list API shows and what the export gives.
 */
import assert from 'node:assert/strict';
import { testDialect } from '@tandem/models/testing';
import type { Client, Fixture } from './support.js';

/** More than two export batches (SCAN_BATCH_SIZE) and more than the old 500-row cap. */
export const MANY = 2_300;

/**
 * Adds MANY products in several INSERT statements (so created_at differs between them on
 * PostgreSQL, down to the microsecond, and repeats within each): stock, currency and the
 * "lamp"/"chair" names repeat, so every sort has ties.
 */
export async function addManyProducts(fixture: Fixture): Promise<void> {
  const knex = fixture.db.orm.em.getKnex();
  const [tools, kitchen] = fixture.ids.categories;
  const rows = Array.from({ length: MANY }, (_, i) => ({
    sku: `BULK-${String(i).padStart(5, '0')}`,
    name: `${i % 3 === 0 ? 'Lamp' : 'Chair'} ${i % 50}`,
    price_cents: 100 + (i % 97),
    currency: i % 2 === 0 ? 'EUR' : 'USD',
    stock: i % 7,
    category_id: i % 3 === 1 ? kitchen : tools,
    tags: JSON.stringify(i % 5 === 0 ? ['sale'] : []),
    published: testDialect() === 'sqlite' ? i % 2 : i % 2 === 1,
  }));
  for (let start = 0; start < rows.length; start += 250)
    await knex('products').insert(rows.slice(start, start + 250));
}

/** Every id the list shows for this query string, page after page (500 a page, the most it gives). */
export async function listedIds(client: Client, resource: string, query: string): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page += 1) {
    const { status, body } = await client.api<{
      records: Array<{ id: string }>;
      meta: { total: number };
    }>(`/resources/${resource}/actions/list?perPage=500&page=${page}&${query}`);
    assert.equal(status, 200);
    ids.push(...body.records.map((record) => String(record.id)));
    if (ids.length >= body.meta.total || body.records.length === 0) {
      assert.equal(ids.length, body.meta.total, 'the list pages add up to its total');
      return ids;
    }
  }
}

/** The export's JSON Lines, parsed. */
export async function exportedJsonLines(
  client: Client,
  resource: string,
  query: string,
): Promise<Array<Record<string, unknown>>> {
  const response = await client.request(`/admin/export/${resource}?format=jsonl&${query}`);
  const text = await response.text();
  assert.equal(response.status, 200, text.slice(0, 300));
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
