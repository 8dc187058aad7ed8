import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { testDialect } from '@tandem/models/testing';
import { eventually, startHarness, type Harness } from './support/fast.js';
import { requireBuilt } from './support/built.js';
import { bearer, get } from './support/http.js';

const tandem = fileURLToPath(import.meta.resolve('@tandem/cli/bin/tandem.js'));

let h: Harness;
before(async () => {
  // bin/tandem.js only loads the build: without it every command fails far less clearly.
  requireBuilt(new URL(import.meta.resolve('@tandem/cli')), 'packages/cli');
  h = await startHarness();
});
after(() => h?.close());

/** Every published product in the database, as ids. */
async function publishedIds(): Promise<number[]> {
  const rows = await h.sql(
    `select id from products where published = ${testDialect() === 'postgresql' ? 'true' : '1'} order by id`,
  );
  return rows.map((r: { id: number | string }) => Number(r.id));
}

async function servedIds(token: string): Promise<number[]> {
  const ids: number[] = [];
  let after: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof get>> = await get(
      `${h.fast.url}/v1/products?limit=1000${after ? `&after=${after}` : ''}`,
      bearer(token),
    );
    ids.push(...page.json.items.map((p: { id: number }) => p.id));
    after = page.json.next;
  } while (after !== null);
  return ids;
}

test(`products created by \`tandem seed\` (another process) appear on the fast service (${testDialect()})`, async () => {
  await promisify(execFile)(process.execPath, [tandem, 'seed', '--products', '40', '--categories', '3'], {
    env: { ...process.env, DATABASE_URL: h.db.url, LOG_LEVEL: 'silent' },
  });
  const expected = await publishedIds();
  assert.ok(expected.length > 0);
  const token = await h.issuer.sign();
  await eventually(
    'the seeded catalog is served',
    async () => JSON.stringify(await servedIds(token)) === JSON.stringify(expected),
  );
  const categories = await get(`${h.fast.url}/v1/categories`, bearer(token));
  assert.equal(categories.json.items.length, 3);
});
